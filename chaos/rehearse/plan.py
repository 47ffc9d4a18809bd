"""Which boundaries a rehearsal tries, and the trial each one becomes.

For a script of *n* units the boundaries are: the clean run (all *n* applied, no
recovery: it gives the schema every recovery must converge to, and what each
statement costs under load), then *k* = 0 … *n*-1 (the script died before unit
*k*+1; the recovery follows), then *n* again with the recovery: the script
committed but its client never saw the acknowledgement and ran the recovery
anyway — the boundary where a script that is not idempotent does its work twice.

Each boundary is one trial of an ordinary run: the scenario with its faults,
recovery, targets and time limit replaced through ``--set`` overrides, so every
variant is validated by the scenario's own schema before the lab starts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from chaos.scenario.duration import format_duration

AfterStopKind = Literal["rerun", "script", "steps"]


@dataclass(frozen=True)
class AfterStop:
    """``rerun`` the script under test, run a ``script`` (a fixed one), or the scenario's
    own recovery ``steps`` (a restore, …)."""

    kind: AfterStopKind
    script: Path | None = None

    def describe(self) -> str:
        if self.kind == "rerun":
            return "rerun the script from the top"
        if self.kind == "script":
            return f"run {self.script.name if self.script else '?'}"
        return "the scenario's recovery steps"


@dataclass(frozen=True)
class Boundary:
    applied: int           # units applied before the script stopped
    of: int                # units in the script
    lost_ack: bool = False

    @property
    def clean(self) -> bool:
        return self.applied == self.of and not self.lost_ack

    @property
    def key(self) -> str:
        if self.clean:
            return "clean"
        return "lost-ack" if self.lost_ack else f"after-{self.applied}"

    def describe(self) -> str:
        if self.clean:
            return f"clean run ({self.of} of {self.of} units)"
        if self.lost_ack:
            return "committed, acknowledgement lost, recovered anyway"
        if self.applied == 0:
            return "died before unit 1"
        return f"died after unit {self.applied} of {self.of}"


@dataclass(frozen=True)
class Timing:
    at: float = 10.0        # the boundary's instant, seconds into the trial
    hold: float = 10.0      # how long the database stays at the boundary
    settle: float = 60.0    # after the recovery starts, for the app to serve again


def boundaries(units: int) -> list[Boundary]:
    """The clean run first (its schema is the reference), then every stop, then lost ack."""
    return ([Boundary(units, units)] + [Boundary(k, units) for k in range(units)]
            + [Boundary(units, units, lost_ack=True)])


def overrides(boundary: Boundary, script: Path, recovery: AfterStop, timing: Timing) -> list[str]:
    """The ``--set`` texts that turn the scenario into this boundary's trial."""
    fault = {"type": "partial_migration", "at": _dur(timing.at),
             "duration": _dur(timing.hold + 0.5), "script": str(script),
             "units": boundary.applied}
    if boundary.lost_ack:
        fault["lose_ack"] = True
    limit = timing.at + timing.hold + timing.settle
    out = [f"faults={_flow([fault])}", "targets={}", f"time_limit={_dur(limit)}"]
    if boundary.clean:
        out.append("recovery={trigger: none}")
        return out
    at = _dur(timing.at + timing.hold)
    if recovery.kind == "steps":   # the scenario's own runbook, started at the boundary's end
        return [*out, "recovery.trigger=at", f"recovery.at={at}", "recovery.delay=0s"]
    again = script if recovery.kind == "rerun" else recovery.script
    recover = {"trigger": "at", "at": at, "steps": [{"run_migration": str(again)}]}
    return [*out, f"recovery={_flow(recover)}"]


def _dur(seconds: float) -> str:
    return format_duration(seconds) if seconds == int(seconds) else f"{seconds:g}s"


def _flow(value: object) -> str:
    """YAML's flow style is a superset of JSON: what ``--set`` reads back exactly."""
    return json.dumps(value)
