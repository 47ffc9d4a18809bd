"""Stop conditions: a scenario's ``abort_if`` rules, evaluated as the trial runs.

    watch = AbortWatch(scenario.abort_if)
    watch.observe(end_t, ok)              # every request answer, on the trial clock
    reason = watch.check(now, failed=n)   # None, or e.g. "error_rate above 90% for 1m"

A rule holds when its metric stays above its limit for its ``for`` duration
(0 = at once), like a detector's pending state. ``error_rate`` is the ratio of
failed answers over the last ``WINDOW`` seconds; with no answers in the window
it has no value and the rule does not hold (a stalled system is caught by an
``elapsed`` rule or the time limit, never by a ratio invented from nothing).
``failed_requests`` counts every failed answer of the trial; ``elapsed`` is the
trial clock itself.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from chaos.scenario.duration import format_duration

WINDOW = 5.0


class AbortWatch:
    def __init__(self, rules: list[Any], window: float = WINDOW) -> None:
        self.rules = list(rules)
        self.window = window
        self._answers: deque[tuple[float, bool]] = deque()
        self._since: list[float | None] = [None] * len(self.rules)

    def observe(self, end: float, ok: bool) -> None:
        if any(r.metric == "error_rate" for r in self.rules):
            self._answers.append((end, ok))

    def error_rate(self, now: float) -> float | None:
        while self._answers and self._answers[0][0] < now - self.window:
            self._answers.popleft()
        if not self._answers:
            return None
        return sum(1 for _, ok in self._answers if not ok) / len(self._answers)

    def check(self, now: float, failed: int) -> str | None:
        """The reason of the first rule that holds at ``now``, else None."""
        values = {"error_rate": self.error_rate(now), "failed_requests": float(failed),
                  "elapsed": now}
        for i, rule in enumerate(self.rules):
            value = values[rule.metric]
            if value is None or value <= rule.above:
                self._since[i] = None
                continue
            since = self._since[i]
            if since is None:
                since = self._since[i] = now
            if now - since >= rule.for_:
                return describe(rule, value)
        return None


def describe(rule: Any, value: float) -> str:
    if rule.metric == "error_rate":
        limit, seen = f"{rule.above:.0%}", f"{value:.0%}"
    elif rule.metric == "elapsed":
        limit, seen = format_duration(rule.above), format_duration(value)
    else:
        limit, seen = f"{rule.above:g}", f"{value:g}"
    held = f" for {format_duration(rule.for_)}" if rule.for_ else ""
    return f"{rule.metric} above {limit}{held} (observed {seen})"
