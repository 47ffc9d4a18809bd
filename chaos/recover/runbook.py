"""Run a recovery's steps in order, each timed on the trial's timeline."""

from __future__ import annotations

from typing import Any

from chaos.errors import RecoveryError
from chaos.measure.eventkinds import Kind
from chaos.parts import PartContext
from chaos.recover.base import Step
from chaos.registry import steps


def run_steps(specs: list[Any], ctx: PartContext, t_fault: float | None, first: int = 0) -> None:
    """``first``: the runbook index of ``specs[0]`` (a game day runs one step at a time)."""
    tl = ctx.timeline
    for i, spec in enumerate(specs, start=first):
        cls = steps.get(spec.type)
        if not (isinstance(cls, type) and issubclass(cls, Step)):
            raise RecoveryError(f"recovery step {spec.type!r} cannot run: its registered "
                                "implementation is not a chaos.recover.base.Step")
        t0 = ctx.clock.now()
        tl.add(Kind.STEP_STARTED, step=spec.type, index=i, t=t0)
        try:
            detail = cls(spec.params, ctx).run(t_fault) or {}
        except Exception as exc:
            tl.add(Kind.STEP_FAILED, step=spec.type, index=i, error=f"{type(exc).__name__}: {exc}",
                   took_s=round(ctx.clock.now() - t0, 3))
            raise
        tl.add(Kind.STEP_DONE, step=spec.type, index=i, took_s=round(ctx.clock.now() - t0, 3),
               **detail)
