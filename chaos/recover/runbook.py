"""Run a recovery's steps in order, each timed on the trial's timeline."""

from __future__ import annotations

from typing import Any

from chaos.build import build
from chaos.measure.eventkinds import Kind
from chaos.partcontext import PartContext


def run_steps(specs: list[Any], ctx: PartContext, t_fault: float | None, first: int = 0) -> None:
    """``first``: the runbook index of ``specs[0]`` (a game day runs one step at a time)."""
    tl = ctx.timeline
    for i, spec in enumerate(specs, start=first):
        t0 = ctx.clock.now()
        tl.add(Kind.STEP_STARTED, step=spec.type, index=i, t=t0)
        try:
            detail = build("step", spec, ctx).run(t_fault) or {}
        except Exception as exc:
            tl.add(Kind.STEP_FAILED, step=spec.type, index=i, error=f"{type(exc).__name__}: {exc}",
                   took_s=round(ctx.clock.now() - t0, 3))
            raise
        tl.add(Kind.STEP_DONE, step=spec.type, index=i, took_s=round(ctx.clock.now() - t0, 3),
               **detail)
