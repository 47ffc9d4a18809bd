"""What every recovery step is: built with its parameters and the trial context, then run.

    step = StepClass(params, ctx)
    detail = step.run(t_fault)      # a dict that goes on the timeline's step_done event

A step that needs something of the lab or the scenario declares it in
``lab_needs`` (``restore_backup`` needs backups); the schema then asks for it.
"""

from __future__ import annotations

from typing import Any

from chaos.parts import PartBase, PartContext


class Step(PartBase):
    """The base of every recovery step (``chaos.parts.StepPart``)."""

    def __init__(self, params: Any, ctx: PartContext) -> None:
        self.params, self.ctx = params, ctx

    def run(self, t_fault: float | None) -> dict[str, Any] | None:
        raise NotImplementedError
