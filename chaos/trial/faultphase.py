"""Where a trial's fault lands against Prometheus's rule evaluation ticks.

    tick = evaluation_tick(lab)                      # (wall instant of a tick, interval)
    delay = fault_delay(first_at, clock, tick, phase=3.2)

Prometheus places scrapes and rule evaluations at fixed offsets of wall-clock time
modulo their interval (an offset hashed from the target or the group), so the
instant a fault lands relative to those ticks is set by the trial's start time — by
chance, not by the scenario. A real alert's TTD depends on that phase by up to an
interval. chaos measures the tick (a rule group's ``lastEvaluation`` and interval)
and delays the faults so that the first lands ``phase`` seconds after a tick: a
seeded random phase by default, so that several trials see the spread production
would, or the same phase in every trial (``--fixed-phase``), so that they do not.
"""

from __future__ import annotations

import time

from chaos.lab.feature import LabHandle
from chaos.lab.observability.stack import stack_urls
from chaos.measure.promapi import get_json, wall_of
from chaos.measure.timeline import Clock

NEVER = "0001-01-01"      # Prometheus's lastEvaluation before a group's first evaluation


def evaluation_tick(lab: LabHandle, timeout: float = 20.0) -> tuple[float, float] | None:
    """(wall-clock instant of a rule evaluation, the group's interval), or None when no
    rule group is evaluated within ``timeout`` (no rule files, or Prometheus not up)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = get_json(stack_urls(lab)[0] + "/api/v1/rules")
            for group in answer["data"]["groups"]:
                last, interval = group.get("lastEvaluation") or NEVER, group.get("interval")
                if not last.startswith(NEVER) and interval:
                    return wall_of(last), float(interval)
        except (OSError, ValueError, KeyError, TypeError):
            pass   # not ready yet: try again until the deadline
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.5)


def fault_delay(first_at: float, clock: Clock, tick: tuple[float, float], phase: float) -> float:
    """Seconds to delay the faults so that the first lands ``phase`` s after a tick."""
    tick_wall, interval = tick
    since_tick = (clock.wall0 + first_at - tick_wall) % interval
    return round((phase - since_tick) % interval, 3)
