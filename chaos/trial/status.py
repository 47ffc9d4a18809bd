"""A trial's status, published as a frozen value for the terminal, the live page and runs.

Nothing outside the trial reads its parts; they read ``trial.status()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.measure.phases import Phase
from chaos.trial.faultschedule import FaultState


@dataclass(frozen=True)
class IndicatorView:
    """One indicator as a live view shows it: its newest reading and whether it is inside."""

    name: str
    objective: str
    value: float | None
    inside: bool


@dataclass(frozen=True)
class FaultView:
    type: str
    at_s: float
    duration_s: float | None
    state: FaultState


@dataclass(frozen=True)
class TrialStatus:
    now: float
    time_limit: float
    t_fault: float | None
    detected_at: float | None         # first detector firing after the fault
    marked_detected: bool             # a person marked "detected" (game day)
    recovery_started: bool
    recovering: bool
    confirmed: bool                   # the steady state confirmed the recovery
    end_reason: str | None
    faults: tuple[FaultView, ...]
    rps: float
    error_ratio: float
    total: int
    failed: int
    last_failure_t: float | None      # answer time of the newest failure after the fault
    last_answer_t: float | None       # newest answer the steady-state tracker saw
    manual: bool                      # a game day: people recover
    outside: tuple[str, ...] = ()     # indicators outside their objective now
    indicators: tuple[IndicatorView, ...] = ()

    @property
    def open(self) -> bool:
        """Still running: marks and steps are taken."""
        return self.end_reason is None

    @property
    def phase(self) -> Phase:
        if self.end_reason is not None:
            return Phase.ENDING
        if self.t_fault is None:
            return Phase.STEADY
        if self.confirmed:
            return Phase.RECOVERED
        if self.recovering:
            return Phase.RECOVERING
        if self.recovery_started:
            return Phase.VERIFYING
        if self.detected_at is None and not self.marked_detected:
            return Phase.FAULT_ACTIVE
        return Phase.DETECTED
