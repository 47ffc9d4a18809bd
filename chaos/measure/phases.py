"""Where a trial is: one vocabulary for the terminal, the live page and the charts.

The live views read it from a running trial (``chaos.trial.TrialStatus.phase``);
the charts rebuild the same phases afterwards from the recorded events
(``phases_from_events``), so a phase has one name and one meaning everywhere.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Phase(StrEnum):
    STEADY = "before the fault"
    FAULT_ACTIVE = "fault active, undetected"   # injected; nobody and nothing has noticed
    DETECTED = "detected"
    RECOVERING = "recovering"              # the runbook (or a person's step) is running
    VERIFYING = "verifying recovery"       # the runbook ran; waiting for the steady state
    MITIGATED = "mitigated"                # errors stopped (from the record only)
    RECOVERED = "recovered"
    ENDING = "ending"


def phases_from_events(events: list[dict[str, Any]], t_fault: float | None,
                       end: float) -> list[tuple[Phase, float, float]]:
    """(phase, from, to) in trial seconds, one after the other: each lasts until the
    next begins (a detection after the errors stopped is left out)."""
    if t_fault is None:
        return []

    def first(kind: str) -> float | None:
        return next((e["t"] for e in events if e.get("kind") == kind and e["t"] >= t_fault), None)

    detected = [e["t"] for e in events if e["t"] >= t_fault and (
        e.get("kind") == "detector_fired"
        or (e.get("kind") == "mark" and e.get("mark") == "detected"))]
    starts = [(Phase.FAULT_ACTIVE, t_fault), (Phase.DETECTED, min(detected, default=None)),
              (Phase.MITIGATED, first("mitigated")), (Phase.RECOVERED, first("recovered"))]
    seq = sorted(((p, t) for p, t in starts if t is not None), key=lambda pt: pt[1])
    seq = [(p, t) for i, (p, t) in enumerate(seq) if p is not Phase.DETECTED
           or all(m not in (Phase.MITIGATED, Phase.RECOVERED) for m, _ in seq[:i])]
    out = [(p, t, seq[i + 1][1] if i + 1 < len(seq) else end) for i, (p, t) in enumerate(seq)]
    return [(p, a, b) for p, a, b in out if b > a]
