"""Prometheus's rule evaluation ticks on the trial clock."""

from __future__ import annotations


def first_tick_at_or_after(when: float, last_eval: float, interval: float) -> float:
    """The evaluation tick of a group (every ``interval`` s, one at ``last_eval``) that
    is the first at or after ``when``; ``last_eval`` itself when none before it is."""
    if interval <= 0 or last_eval < when:
        return last_eval
    back = int((last_eval - when) // interval)
    return last_eval - back * interval
