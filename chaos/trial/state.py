"""What a trial has measured so far: request counts, writes, the fault instant, the end."""

from __future__ import annotations

from dataclasses import dataclass, field

from chaos.measure.baseline import Baseline
from chaos.measure.dataloss import WriteLog
from chaos.measure.endpoints import Endpoints
from chaos.measure.indicators import SteadyState
from chaos.measure.metrics import RequestCounts


@dataclass
class TrialState:
    counts: RequestCounts = field(default_factory=RequestCounts)
    writes: WriteLog = field(default_factory=WriteLog)
    endpoints: Endpoints = field(default_factory=Endpoints)
    baseline: Baseline = field(default_factory=Baseline)
    baseline_error: str | None = None    # why the steady state did not hold before the fault
    t_fault: float | None = None
    steady: SteadyState | None = None   # the indicators, from the fault on
    end_reason: str | None = None
    recovery_error: str | None = None
    fault_errors: list[str] = field(default_factory=list)

    @property
    def aborted(self) -> bool:
        """A stop condition (``abort_if``, ``--max-duration``) ended the trial."""
        return (self.end_reason or "").startswith("aborted:")
