"""How the built-in detectors evaluate: request-window rules and probes."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import deque

import psycopg

from chaos.detect.base import Detector, Pending, ProbeThread


class WindowRule(Detector):
    """A rule over the requests answered in the last ``window`` seconds."""

    def __init__(self, name, params, ctx) -> None:
        super().__init__(name, params, ctx)
        self.window: deque[tuple[float, bool, float]] = deque()
        self.pending = Pending(params.for_)
        self.latest = 0.0

    def observe(self, end: float, ok: bool, latency_s: float) -> None:
        self.window.append((end, ok, latency_s))
        self.latest = max(self.latest, end)

    def condition(self) -> bool | None:
        raise NotImplementedError

    def check(self, now: float) -> float | None:
        if self.fired_at is not None:
            return self.fired_at
        while self.window and self.window[0][0] < now - self.params.window:
            self.window.popleft()
        value = self.condition()
        # No answers in the window: no data, like a Prometheus rule over an empty series.
        fired = self.pending.update(now, bool(value))
        if fired is not None:
            self.fired_at = fired
        return self.fired_at


class ErrorRateRule(WindowRule):
    def condition(self) -> bool | None:
        if not self.window:
            return None
        failed = sum(1 for _, ok, _ in self.window if not ok)
        return failed / len(self.window) > self.params.above


class LatencyRule(WindowRule):
    def condition(self) -> bool | None:
        if not self.window:
            return None
        latencies = sorted(lat for _, _, lat in self.window)
        rank = min(len(latencies) - 1, int(len(latencies) * self.params.percentile / 100.0))
        return latencies[rank] > self.params.above


class HttpProbe(ProbeThread):
    def probe_once(self) -> bool:
        url = self.ctx.app_url + self.params.path
        try:
            with urllib.request.urlopen(url, timeout=self.params.timeout) as resp:
                return 200 <= resp.status < 300
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


def same_value(got, expected) -> bool:
    if got is None or expected is None:
        return got is None and expected is None
    if isinstance(expected, bool) or isinstance(got, bool):
        return str(got).lower() in ("t", "true") if expected else str(got).lower() in ("f", "false")
    try:
        return float(got) == float(expected)
    except (TypeError, ValueError):
        return str(got) == str(expected)
