"""Lost acknowledged writes, counted the way Jepsen's set checker does.

    lost       = acknowledged − present after recovery
    unknown    = writes that got no answer at all (timeout, dropped connection);
                 reported apart as found / missing, never counted as lost or kept

Writes are keyed by their ``write_ref`` (see ``chaos.load.listener``). A
reference the client generated and sent survives a restore unambiguously; a
server-assigned id does not: a restore rewinds the id sequence, so a new row
can reuse the id of a lost one and hide the loss (docs/measurement.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaos.measure.observation import Observation


@dataclass
class WriteLog:
    acked: dict[str, float] = field(default_factory=dict)      # ref -> answer time (trial s)
    unknown: dict[str, float] = field(default_factory=dict)    # ref -> start time (trial s)

    def add(self, obs: Observation, end_t: float, start_t: float) -> None:
        if not obs.write or obs.ref is None:
            return
        if obs.ok:
            self.acked[obs.ref] = end_t
        elif obs.unknown_write:
            self.unknown[obs.ref] = start_t


def account(log: WriteLog, present: set[str], t_fault: float | None,
            sample: int = 20) -> dict[str, Any]:
    lost = sorted((r for r in log.acked if r not in present), key=log.acked.__getitem__)
    unknown_found = sum(1 for r in log.unknown if r in present)
    result: dict[str, Any] = {
        "acknowledged": len(log.acked),
        "lost": len(lost),
        "unknown": len(log.unknown),
        "unknown_found": unknown_found,
        "unknown_missing": len(log.unknown) - unknown_found,
        "lost_sample": lost[:sample],
        "lost_window_s": None,
    }
    if lost:
        result["lost_window_s"] = [round(log.acked[lost[0]], 3), round(log.acked[lost[-1]], 3)]
    result["rpo_s"] = rpo(log, present, t_fault, bool(lost))
    return result


def rpo(log: WriteLog, present: set[str], t_fault: float | None, any_lost: bool) -> float | None:
    """t_fault − answer time of the newest write acknowledged before the fault that survived."""
    if t_fault is None:
        return None
    if not any_lost:
        return 0.0
    survivors = [t for r, t in log.acked.items() if r in present and t <= t_fault]
    if not survivors:
        return None  # everything acknowledged before the fault is gone: no bound we can state
    return round(t_fault - max(survivors), 3)
