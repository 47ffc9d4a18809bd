"""When has service been restored? The steady-state tracker.

The scenario says e.g. ``error_rate: {below: 1%, for: 10s}``. After the fault,
we keep a candidate instant ``since``: the answer time of the last failed
request that pushed the error ratio (of requests answered after ``since``) to
the limit or above. Service counts as restored once answers keep arriving and
the ratio has stayed below the limit for the whole ``for`` window:

    ttm = since - t_fault         errors stopped (mitigated)
    ttr = since + for - t_fault   the steady state has held for its window

Times are those of the observations themselves (event time), not of the loop
that reads them, so the result does not depend on how often we poll.
"""

from __future__ import annotations


class SteadyStateTracker:
    def __init__(self, below: float, hold_s: float, since: float) -> None:
        self.below = below
        self.hold_s = hold_s
        self.since = since
        self.answered = 0
        self.failed = 0
        self.latest = since         # newest answer time seen: our watermark
        self.failures_seen = 0

    def add(self, end: float, ok: bool) -> None:
        if end < self.since:
            return
        self.latest = max(self.latest, end)
        self.answered += 1
        if not ok:
            self.failed += 1
            self.failures_seen += 1
            if self.failed / self.answered >= self.below:
                self.since, self.answered, self.failed = end, 0, 0

    def not_before(self, t: float) -> None:
        """No window may start before ``t`` (a fault that took until then to apply:
        answers during a long-running script say nothing about recovery from it)."""
        if t > self.since:
            self.since, self.answered, self.failed = t, 0, 0
            self.latest = max(self.latest, t)

    def held_until(self) -> float | None:
        """The instant the steady state completed its window, if it has."""
        if self.answered and self.latest - self.since >= self.hold_s:
            return self.since + self.hold_s
        return None
