"""The trial's recovery: the runbook started by its trigger, by a person, or after an abort.

    recovery = Recovery(scenario.recovery, ctx, state)
    recovery.due(now, detected_at)            # on_detect + delay, or at a time
    recovery.run_by_hand(name, work)          # a game day's step (chaos.live.controls)
    recovery.always_steps()                   # after a stop condition: steps marked always

One runbook runs at a time, on its own thread; the trial waits for it before
it may end (a recovery still running is not a recovery).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chaos.measure.eventkinds import Kind
from chaos.recover.runbook import run_steps
from chaos.trial.context import TrialContext
from chaos.trial.state import TrialState


class RecoveryBusy(Exception):
    """Another runbook step is still running."""


class Recovery:
    def __init__(self, spec: Any, ctx: TrialContext, state: TrialState) -> None:
        self.spec = spec
        self.ctx = ctx
        self.state = state
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.offset = 0.0    # a timed recovery moves with the faults' phase (run.py)

    @property
    def started(self) -> bool:
        return self.thread is not None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    @property
    def manual(self) -> bool:
        """A game day: people recover, and the facilitator says when the exercise is over."""
        return bool(self.spec.trigger == "manual")

    def due(self, now: float, detected_at: float | None) -> None:
        if self.started or self.state.t_fault is None:
            return
        if self.spec.trigger == "on_detect":
            due = detected_at is not None and now >= detected_at + self.spec.delay
        elif self.spec.trigger == "at":
            due = now >= self.spec.at + self.offset
        else:
            return
        if due:
            self.ctx.timeline.add(Kind.RECOVERY_STARTED, trigger=self.spec.trigger,
                                  steps=len(self.spec.steps))
            self._start("recovery", self._runbook)

    def _runbook(self) -> None:
        tl = self.ctx.timeline
        try:
            run_steps(self.spec.steps, self.ctx, self.state.t_fault)
            tl.add(Kind.RECOVERY_FINISHED)
        except Exception as exc:   # a broken step is the recovery's outcome, on the record
            self.state.recovery_error = f"{type(exc).__name__}: {exc}"
            tl.add(Kind.RECOVERY_FAILED, error=self.state.recovery_error)

    def _start(self, name: str, work: Callable[[], None]) -> threading.Thread:
        self.thread = threading.Thread(target=work, name=name, daemon=True)
        self.thread.start()
        return self.thread

    def run_by_hand(self, name: str, work: Callable[[], None]) -> threading.Thread:
        """Start one step a person chose; RecoveryBusy while another is running."""
        with self._lock:
            if self.running:
                raise RecoveryBusy("another runbook step is still running")
            return self._start(name, work)

    def always_steps(self) -> None:
        """After a stop condition: the steps marked ``always``, if the runbook never ran."""
        steps = [(i, s) for i, s in enumerate(self.spec.steps) if getattr(s, "always", False)]
        if not self.state.aborted or not steps or self.started:
            return
        tl = self.ctx.timeline
        tl.add(Kind.RECOVERY_STARTED, trigger="abort", steps=len(steps))
        try:
            for index, spec in steps:  # each keeps its runbook index on the timeline
                run_steps([spec], self.ctx, self.state.t_fault, first=index)
            tl.add(Kind.RECOVERY_FINISHED)
        except Exception as exc:  # recorded; the trial is already aborted
            self.state.recovery_error = f"{type(exc).__name__}: {exc}"
            tl.add(Kind.RECOVERY_FAILED, error=self.state.recovery_error)

    def join(self, timeout: float = 60) -> None:
        if self.thread is not None:
            self.thread.join(timeout=timeout)
