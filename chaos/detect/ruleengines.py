"""How the built-in detectors evaluate: request-window rules and probes."""

from __future__ import annotations

import bisect
import urllib.error
import urllib.request
from collections import deque
from typing import Any

import psycopg

from chaos.detect.base import Detector, Pending, ProbeThread
from chaos.measure.quantiles import nearest_rank
from chaos.measure.verify import same_value
from chaos.partcontext import PartContext


class WindowRule(Detector):
    """A rule over the requests answered in the last ``window`` seconds, in event time.

    The condition can only change when an answer enters the window (at its
    answer time) or leaves it (``window`` seconds later), so it is evaluated
    at exactly those instants, and the rule fires at ``pending since + for``:
    the instant a continuously evaluated rule would fire, whatever the loop's
    tick. Counts are kept incrementally: each answer costs O(1) (the latency
    rule: one insertion into a sorted list), however full the window is.
    """

    def __init__(self, name: str, params: Any, ctx: PartContext) -> None:
        super().__init__(name, params, ctx)
        self.window: deque[tuple[float, bool, float]] = deque()
        self.pending = Pending(params.for_)
        self.latest = 0.0          # newest instant evaluated: our watermark
        self.failed = 0
        self.armed_at = float("-inf")

    def observe(self, end: float, ok: bool, latency_s: float) -> None:
        if end < self.armed_at:
            return                    # answered before the reset: not this trial's concern
        end = max(end, self.latest)   # a slightly late line counts from where we are
        self._advance(end)
        self.window.append((end, ok, latency_s))
        self.failed += not ok
        self.entered(latency_s)
        self._evaluate(end)

    def entered(self, latency_s: float) -> None:
        """An answer entered the window (for rules that keep more than counts)."""

    def left(self, latency_s: float) -> None:
        """An answer left the window."""

    def condition(self) -> bool | None:
        raise NotImplementedError

    def check(self, now: float) -> float | None:
        self._advance(now)
        return self.fired_at

    def reset(self, t: float) -> None:
        self._advance(t)           # record a firing due before t, then forget everything
        while self.window:
            _, ok, latency = self.window.popleft()
            self.failed -= not ok
            self.left(latency)
        self.pending.since = None
        super().reset(t)
        self.armed_at = t
        self.latest = max(self.latest, t)

    def _advance(self, t: float) -> None:
        """Let answers leave the window up to ``t``, evaluating at each exit."""
        width = self.params.window
        while self.window and self.window[0][0] + width < t:
            exit_t = self.window[0][0] + width
            self._fire_by(exit_t)
            _, ok, latency = self.window.popleft()
            self.failed -= not ok
            self.left(latency)
            self._evaluate(exit_t)
        self._fire_by(t)
        self.latest = max(self.latest, t)

    def _evaluate(self, t: float) -> None:
        # No answers in the window: no data, like a Prometheus rule over an empty series.
        if not self.condition():
            self.pending.since = None
        elif self.pending.since is None:
            self.pending.since = t
        self._fire_by(t)

    def _fire_by(self, t: float) -> None:
        since = self.pending.since
        if self.fired_at is None and since is not None and since + self.pending.hold_s <= t:
            self.fired_at = since + self.pending.hold_s


class ErrorRateRule(WindowRule):
    def condition(self) -> bool | None:
        if not self.window:
            return None
        return bool(self.failed / len(self.window) > self.params.above)


class LatencyRule(WindowRule):
    def __init__(self, name: str, params: Any, ctx: PartContext) -> None:
        super().__init__(name, params, ctx)
        self.latencies: list[float] = []     # the window's latencies, sorted

    def entered(self, latency_s: float) -> None:
        bisect.insort(self.latencies, latency_s)

    def left(self, latency_s: float) -> None:
        del self.latencies[bisect.bisect_left(self.latencies, latency_s)]

    def condition(self) -> bool | None:
        if not self.latencies:
            return None
        p = nearest_rank(self.latencies, self.params.percentile / 100.0)
        return bool(p > self.params.above)


class HttpProbe(ProbeThread):
    def probe_once(self) -> bool:
        url = self.ctx.app_url + self.params.path
        try:
            with urllib.request.urlopen(url, timeout=self.params.timeout) as resp:
                status: int = resp.status
                return 200 <= status < 300
        except (urllib.error.URLError, OSError, ValueError):
            return False


class SqlProbe(ProbeThread):
    def probe_once(self) -> bool:
        try:
            with psycopg.connect(self.ctx.db_dsn, connect_timeout=max(1, int(self.params.timeout)),
                                 autocommit=True) as conn:
                conn.execute(f"SET statement_timeout = {int(self.params.timeout * 1000)}")
                row = conn.execute(self.params.query).fetchone()
        except psycopg.Error:
            return False
        return row is not None and same_value(row[0], self.params.expect)
