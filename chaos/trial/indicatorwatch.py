"""The scenario's indicators, built for one trial, and the threads that read the polled ones.

    watch = IndicatorWatch(scenario, ctx, on_impact=...)
    watch.start()                    # SQL, PromQL and HTTP readers, each on its own thread
    watch.drain()                    # in the trial loop: readings into the steady state
    watch.state                      # chaos.measure.indicators.SteadyState
    watch.stop()

Readers never touch the steady state: they queue ``(name, t, value, error)`` and the
loop's thread applies them, so every indicator is judged on one thread, in order.
``t`` is the instant a reading describes: a SQL query's statement start (its snapshot),
an HTTP probe's send, and for PromQL the newest scrape of any target at evaluation
time (the data cannot describe anything later).
"""

from __future__ import annotations

import json
import queue
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import psycopg

from chaos.lab.observability.stack import stack_urls
from chaos.measure.indicators import Indicator, OnImpact, SteadyState
from chaos.measure.requestindicators import ErrorRatio, LatencyQuantile, Throughput

if TYPE_CHECKING:
    from chaos.scenario import Scenario
    from chaos.trial.context import TrialContext

ERRORS = "errors"          # the request error ratio's indicator name
Reading = tuple[str, float, float | None, str | None]


def build_state(scenario: Scenario, on_impact: OnImpact | None = None) -> SteadyState:
    ss = scenario.steady_state
    ratio = ErrorRatio(ERRORS, f"below {ss.error_rate.below * 100:.4g}% failed",
                       below=ss.error_rate.below)
    built: list[Indicator] = [ratio]
    baseline_s = scenario.baseline.window(min(f.at for f in scenario.faults))
    for spec in ss.indicators:
        built.append(_one(spec, baseline_s))
    return SteadyState(built, ss.hold_s, on_impact)


def _one(spec: Any, baseline_s: float) -> Indicator:
    words = spec.objective()
    if spec.type == "error_rate":
        return ErrorRatio(spec.name, words, spec.below, spec.requests)
    if spec.type == "latency":
        return LatencyQuantile(spec.name, words, spec.below, spec.percentile or 95.0,
                               spec.window or 10.0, spec.requests)
    if spec.type == "throughput":
        return Throughput(spec.name, words, spec.above, spec.window or 5.0,
                          baseline_s or 5.0, spec.requests)
    ind = Indicator(spec.name, words, spec.below, spec.above)
    ind.kind = spec.type
    return ind


class IndicatorWatch:
    def __init__(self, scenario: Scenario, ctx: TrialContext,
                 on_impact: OnImpact | None = None) -> None:
        self.state = build_state(scenario, on_impact)
        self.inbox: queue.SimpleQueue[Reading] = queue.SimpleQueue()
        self._stop = threading.Event()
        prom = scenario.observe.prometheus if scenario.observe is not None else None
        self.readers = [Reader(spec, ctx, self.inbox, self._stop, prom)
                        for spec in scenario.steady_state.indicators
                        if spec.type in ("sql", "http", "promql")]

    def start(self) -> None:
        for reader in self.readers:
            reader.thread.start()

    def drain(self) -> None:
        while True:
            try:
                name, t, value, error = self.inbox.get_nowait()
            except queue.Empty:
                return
            self.state.feed(name, t, value, error)

    def stop(self) -> None:
        self._stop.set()
        for reader in self.readers:
            if reader.thread.is_alive():
                reader.thread.join(timeout=5)
        self.drain()


class Reader:
    """Reads one polled indicator every ``every`` seconds, on its own thread."""

    def __init__(self, spec: Any, ctx: TrialContext, inbox: queue.SimpleQueue[Reading],
                 stop: threading.Event, prom: Any) -> None:
        self.spec, self.ctx, self.inbox, self.stop = spec, ctx, inbox, stop
        default_every = prom.scrape_interval if spec.type == "promql" and prom else 1.0
        self.every = spec.every or default_every
        self.timeout = spec.timeout or min(2.0, self.every)
        self._prom_url: str | None = None
        read: dict[str, Callable[[], tuple[float, float | None]]] = {
            "sql": self._sql, "http": self._http, "promql": self._promql}
        self.read = read[spec.type]
        self.thread = threading.Thread(target=self._loop, name=f"indicator-{spec.name}",
                                       daemon=True)

    def _loop(self) -> None:
        clock = self.ctx.clock
        while not self.stop.is_set():
            began = clock.now()
            try:
                t, value = self.read()
                error = None
            except Exception as exc:  # unreadable is a reading too: outside, with why
                t, value, error = began, None, _short(exc)
            self.inbox.put((self.spec.name, t, value, error))
            self.stop.wait(max(0.0, self.every - (clock.now() - began)))

    def _sql(self) -> tuple[float, float | None]:
        ms = int(self.timeout * 1000)
        with psycopg.connect(self.ctx.db_dsn, connect_timeout=max(1, int(self.timeout)),
                             autocommit=True) as conn:
            conn.execute(f"SET statement_timeout = {ms}")
            t = self.ctx.clock.now()      # the statement's snapshot is taken at its start
            row = conn.execute(self.spec.query).fetchone()
        if row is None or len(row) == 0:
            raise ValueError("the query returned no row")
        return t, _as_number(row[0])

    def _http(self) -> tuple[float, float | None]:
        t = self.ctx.clock.now()
        url = self.ctx.app_url + self.spec.path
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                status = int(resp.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        if not 200 <= status < 300:
            raise ValueError(f"HTTP {status}")
        return t, float(status)

    def _promql(self) -> tuple[float, float | None]:
        if self._prom_url is None:
            if self.ctx.lab is None:   # a trial built without a lab (a test's, a benchmark's)
                raise ValueError("not measured: no lab, so no Prometheus to ask")
            self._prom_url = stack_urls(self.ctx.lab)[0]
        now_wall = self.ctx.clock.wall0 + self.ctx.clock.now()
        value = _instant(self._prom_url, self.spec.query, now_wall, self.timeout)
        scraped = _instant(self._prom_url, "max(timestamp(up))", now_wall, self.timeout)
        described = min(now_wall, scraped) if scraped is not None else now_wall
        if value is None:
            raise ValueError("no data: the expression returned no series")
        return self.ctx.clock.from_wall(described), value


def _instant(base: str, query: str, at_wall: float, timeout: float) -> float | None:
    args = urllib.parse.urlencode({"query": query, "time": f"{at_wall:.3f}"})
    with urllib.request.urlopen(f"{base}/api/v1/query?{args}", timeout=timeout) as resp:
        answer = json.loads(resp.read())
    data = answer.get("data", {})
    result = data.get("result")
    if data.get("resultType") == "scalar":
        return _as_number(result[1])
    if not result:
        return None
    if len(result) > 1:
        raise ValueError(f"the expression returned {len(result)} series; aggregate it to one "
                         "(e.g. sum(...) or max(...))")
    return _as_number(result[0]["value"][1])


def _as_number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"not a number: {str(value)[:80]!r}") from None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
