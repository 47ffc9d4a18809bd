"""The steady state on the request error ratio alone, as chaos measured it before
indicators: a ``SteadyState`` holding one ``ErrorRatio``, armed at ``since``.

    s = SteadyStateTracker(below=0.01, hold_s=10.0, since=t_fault)
    s.add(end_t, ok)
    s.held_until()       # since + hold once answers have kept the ratio below for the window

Kept for benchmarks and tests that exercise the error-ratio rule on its own; a trial
builds its steady state from the scenario's indicators (``chaos.trial.indicatorwatch``).
"""

from __future__ import annotations

from chaos.measure.indicators import SteadyState
from chaos.measure.requestindicators import ErrorRatio


class SteadyStateTracker(SteadyState):
    def __init__(self, below: float, hold_s: float, since: float) -> None:
        self.ratio = ErrorRatio("errors", f"below {below:.2%} failed", below=below)
        super().__init__([self.ratio], hold_s)
        self.arm(since)

    def add(self, end: float, ok: bool, latency_s: float = 0.0, name: str = "") -> None:
        super().add(end, ok, latency_s, name)

    @property
    def answered(self) -> int:
        return self.ratio.answered

    @property
    def failed(self) -> int:
        return self.ratio.failed

    @property
    def failures_seen(self) -> int:
        return self.ratio.failures_seen
