"""The fault schedule: each fault injected at its time, reverted after its duration.

    schedule = FaultSchedule(faults, ctx)
    schedule.due(now, first=lambda t: ...)   # inject what is due; False from `first` holds off
    schedule.over()                           # every fault done (reverted, or instant)
    schedule.finish()                         # revert whatever is still in place

Injection runs on a worker thread so the trial's loop (and so detection timing)
never waits behind it; the states a fault goes through are ``FaultState``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import partial
from typing import Any

from chaos.faults.effect import inject_and_mark, reverted_fields
from chaos.measure.eventkinds import Kind
from chaos.trial.context import TrialContext, Worker


class FaultState(StrEnum):
    SCHEDULED = "scheduled"
    INJECTING = "injecting"
    ACTIVE = "active"
    DONE = "done"


class FaultSchedule:
    def __init__(self, faults: list[Any], ctx: TrialContext) -> None:
        self.faults = faults
        self.ctx = ctx
        self.states = [FaultState.SCHEDULED] * len(faults)
        self.threads: dict[int, Worker] = {}
        self.errors: list[str] = []
        self.applied_at: float | None = None   # the latest instant fault's end of apply
        self.offset = 0.0                      # every fault comes this much later (a phase)
        self.now_due: dict[int, float] = {}    # brought forward by a person: index -> when

    def view(self) -> tuple[tuple[str, float, float | None, FaultState], ...]:
        """(type, at, duration, state) per fault, for status displays."""
        return tuple((f.spec.type, f.spec.at, f.spec.duration, self.states[i])
                     for i, f in enumerate(self.faults))

    def bring_forward(self, index: int, now: float) -> None:
        """Inject fault ``index`` at the next tick (a game day's facilitator chose it)."""
        if self.states[index] is FaultState.SCHEDULED:
            self.now_due[index] = now

    def _start(self, i: int) -> float:
        at: float = self.faults[i].spec.at
        return self.now_due.get(i, at + self.offset)

    def over(self) -> bool:
        return all(s is FaultState.DONE for s in self.states)

    def due(self, now: float, first: Callable[[float], bool]) -> None:
        """Advance every fault; ``first(t)`` is called before the very first injection
        and may refuse it (the baseline did not hold)."""
        for i, fault in enumerate(self.faults):
            spec, state = fault.spec, self.states[i]
            if state is FaultState.SCHEDULED and now >= self._start(i):
                t = self.ctx.clock.now()
                if not self.threads and not first(t):
                    return
                self.states[i] = FaultState.INJECTING
                self.ctx.timeline.add(Kind.FAULT_INJECTED, t=t, fault=spec.type, index=i)
                self.threads[i] = Worker(f"fault-{i}", partial(inject_and_mark, fault,
                                                               self.ctx.clock, t))
                self.threads[i].start()
            elif state is FaultState.INJECTING and not self.threads[i].is_alive():
                self._applied(i)
            elif (state is FaultState.ACTIVE and spec.duration is not None
                  and now >= self._start(i) + spec.duration):
                self.revert(i)
                self.states[i] = FaultState.DONE

    def _applied(self, i: int) -> None:
        fault, err = self.faults[i], self.threads[i].error
        detail = dict(fault.detail)
        if err is not None:
            detail["error"] = f"{type(err).__name__}: {err}"
            self.errors.append(detail["error"])
        self.ctx.timeline.add(Kind.FAULT_APPLIED, fault=fault.spec.type, index=i, **detail)
        done = fault.instant or err is not None
        if fault.instant:
            now = self.ctx.clock.now()
            self.applied_at = max(self.applied_at or now, now)
        self.states[i] = FaultState.DONE if done else FaultState.ACTIVE
        if done:
            self.revert(i)

    def revert(self, i: int) -> None:
        fault = self.faults[i]
        began = self.ctx.clock.now()
        try:
            fault.revert()
        except Exception as exc:   # on the timeline, then up to whoever ends the trial
            self.ctx.timeline.add(Kind.FAULT_REVERT_FAILED, fault=fault.spec.type, index=i,
                                  error=f"{type(exc).__name__}: {exc}")
            raise
        if not fault.instant:
            self.ctx.timeline.add(Kind.FAULT_REVERTED, fault=fault.spec.type, index=i,
                                  **reverted_fields(fault, began))

    def finish(self) -> list[Exception]:
        """Revert what is injected or in place, then let every fault clean up; returns
        the errors (each already on the timeline) so that the caller raises after teardown."""
        errors: list[Exception] = []
        for i, state in enumerate(self.states):
            if state in (FaultState.INJECTING, FaultState.ACTIVE):
                worker = self.threads.get(i)
                if worker is not None:
                    worker.join(timeout=30)
                try:
                    self.revert(i)
                except Exception as exc:
                    errors.append(exc)
                self.states[i] = FaultState.DONE
        for i, fault in enumerate(self.faults):
            if i in self.threads:
                try:
                    fault.cleanup()
                except Exception as exc:
                    self.ctx.timeline.add(Kind.FAULT_CLEANUP_FAILED, fault=fault.spec.type, index=i,
                                          error=f"{type(exc).__name__}: {exc}")
                    errors.append(exc)
        return errors
