"""Indicators over the request stream: the error ratio, a latency quantile, throughput.

Each is an ``Indicator`` (``chaos.measure.indicators``) fed by every answered request
(``add``) instead of by readings; throughput is also judged as time passes
(``advance``), since no answer is itself a reading.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from typing import Any

from chaos.measure.indicators import MAX_SERIES, Indicator, rounded
from chaos.measure.quantiles import nearest_rank

LAG_S = 1.0          # throughput is judged this far behind the clock: answers still arriving
STEP_S = 0.5         # ... every STEP_S of that lagging clock


class RequestFilter:
    def __init__(self, names: list[str] | None) -> None:
        self.names = frozenset(names) if names else None

    def wants(self, name: str) -> bool:
        return self.names is None or name in self.names


class ErrorRatio(Indicator):
    """The request error ratio, as chaos's steady state always measured it (see module doc).

    Before the fault it is not judged (``chaos.measure.baseline`` checks the error ratio
    over the baseline window); from the fault on, a failed answer that brings the share
    of failures since the candidate to ``below`` or above is a breach at its answer time."""

    kind = "error_rate"

    def __init__(self, name: str, objective: str, below: float,
                 requests: list[str] | None = None) -> None:
        super().__init__(name, objective, below=below)
        self.only = RequestFilter(requests)
        self.answered = 0
        self.failed = 0
        self.breaches = 0
        self.failures_seen = 0
        self.last_out: float | None = None
        self.per_second: dict[int, list[int]] = {}   # after the fault: second -> [answers, failed]

    def arm(self, t: float) -> None:
        self.armed_at = self.since = t
        self.answered = self.failed = 0
        self.watermark = t if self.watermark is None else max(self.watermark, t)

    def add(self, end: float, ok: bool, latency_s: float, name: str) -> None:
        if (self.armed_at is None or self.since is None or end < self.since
                or not self.only.wants(name)):
            return
        self.watermark = end if self.watermark is None else max(self.watermark, end)
        self.answered += 1
        bucket = self.per_second.setdefault(int(end - self.armed_at), [0, 0])
        bucket[0] += 1
        if ok:
            return
        self.failed += 1
        self.failures_seen += 1
        bucket[1] += 1
        if self.failed / self.answered >= (self.below or 0.0):
            self._breach(end, self.failed / self.answered)

    def _breach(self, t: float, ratio: float) -> None:
        self.breaches += 1
        self.last_out = t
        self.since, self.answered, self.failed = t, 0, 0
        if self.first_out is None:
            self.first_out, self.first_out_value = t, ratio
            if self.on_out is not None:
                self.on_out(self, t, ratio)

    def not_before(self, t: float) -> None:
        if self.since is not None and t > self.since:
            self.since, self.answered, self.failed = t, 0, 0
            self.watermark = t if self.watermark is None else max(self.watermark, t)

    def covered(self, until: float) -> bool:
        return self.answered > 0 and super().covered(until)

    def baseline(self, t: float, window: float) -> str | None:
        return None   # chaos.measure.baseline judges the requests before the fault

    def last_value(self) -> float | None:
        """The share of failures among the answers since the candidate instant."""
        return self.failed / self.answered if self.answered else None

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        ratios = [f / n for n, f in self.per_second.values() if n]
        out.update(worst=rounded(max(ratios)) if self.first_out is not None and ratios else None,
                   back_inside_t=rounded(self.last_out), still_out=False, readings=sum(
                       n for n, _ in self.per_second.values()),
                   out_s=round(self.last_out - self.first_out, 3)
                   if self.first_out is not None and self.last_out is not None else 0.0,
                   series=[[s + (self.armed_at or 0.0) + 1.0, rounded(f / n)]
                           for s, (n, f) in sorted(self.per_second.items())][:MAX_SERIES])
        return out


class LatencyQuantile(Indicator):
    """A latency quantile of the successful answers in the last ``window`` seconds, judged
    in event time: at each answer and each instant an answer leaves the window."""

    kind = "latency"

    def __init__(self, name: str, objective: str, below: float, percentile: float,
                 window: float, requests: list[str] | None = None) -> None:
        super().__init__(name, objective, below=below)
        self.q, self.width = percentile / 100.0, window
        self.only = RequestFilter(requests)
        self.window: deque[tuple[float, float]] = deque()
        self.sorted: list[float] = []
        self.last_t = -math.inf
        self.sample_gap = 1.0     # judged at every answer: one chart point a second

    def add(self, end: float, ok: bool, latency_s: float, name: str) -> None:
        if not ok or not self.only.wants(name):
            return
        end = max(end, self.last_t)
        self._exits(end)
        self.window.append((end, latency_s))
        bisect.insort(self.sorted, latency_s)
        self._judge(end)

    def _exits(self, t: float) -> None:
        while self.window and self.window[0][0] + self.width < t:
            exit_t, latency = self.window.popleft()
            del self.sorted[bisect.bisect_left(self.sorted, latency)]
            if self.sorted:   # an empty window is no data: the state stays as it was
                self._judge(exit_t + self.width)

    def _judge(self, t: float) -> None:
        self.last_t = t
        self.feed(t, nearest_rank(self.sorted, self.q))


class Throughput(Indicator):
    """Successful answers per second over ``window``, as a share of the baseline's rate.

    Judged every ``STEP_S`` at ``LAG_S`` behind the clock (answers still being read), from
    the fault on. A silent drop, with nothing failing, is an outage too."""

    kind = "throughput"

    def __init__(self, name: str, objective: str, above: float, window: float,
                 baseline_s: float, requests: list[str] | None = None) -> None:
        super().__init__(name, objective, above=above)
        self.width, self.baseline_s = window, max(baseline_s, window)
        self.only = RequestFilter(requests)
        self.ends: deque[float] = deque()
        self.base_rate: float | None = None
        self.next_t: float | None = None

    def add(self, end: float, ok: bool, latency_s: float, name: str) -> None:
        if ok and self.only.wants(name):
            self.ends.append(end)

    def arm(self, t: float) -> None:
        n = sum(1 for e in self.ends if t - self.baseline_s <= e <= t)
        self.base_rate = n / self.baseline_s
        self.armed_at, self.since, self.watermark = t, t, t
        self.next_t = t + STEP_S

    def advance(self, now: float) -> None:
        if self.next_t is None or not self.base_rate:
            return
        while self.next_t <= now - LAG_S:
            t = self.next_t
            while self.ends and self.ends[0] <= t - max(self.width, self.baseline_s) - 1:
                self.ends.popleft()
            n = sum(1 for e in self.ends if t - self.width < e <= t)
            self.feed(t, (n / self.width) / self.base_rate)
            self.next_t = t + STEP_S

    def baseline(self, t: float, window: float) -> str | None:
        """Judged against itself: there must be a rate to compare with."""
        if window <= 0:
            return None
        if not any(t - self.baseline_s <= e <= t for e in self.ends):
            return (f"indicator '{self.name}': no successful request in the "
                    f"{self.baseline_s:g} s before the fault, so no throughput to compare with")
        return None

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out["baseline_rate"] = None if self.base_rate is None else round(self.base_rate, 3)
        return out
