"""What every recovery step is: built with its parameters and the trial context, then run.

    step = StepClass(params, ctx)
    detail = step.run(t_fault)      # a dict that goes on the timeline's step_done event

A step that needs something of the lab or the scenario declares it in
``lab_needs`` (``restore_backup`` needs backups); the schema then asks for it.
"""

from __future__ import annotations

from typing import Any

from chaos.errors import RecoveryError
from chaos.lab.lab import Lab
from chaos.partcontext import PartContext
from chaos.parts import PartBase
from chaos.recover.backups import BackupStore


class Step(PartBase):
    """The base of every recovery step (``chaos.parts.StepPart``)."""

    def __init__(self, params: Any, ctx: PartContext) -> None:
        self.params, self.ctx = params, ctx

    def run(self, t_fault: float | None) -> dict[str, Any] | None:
        raise NotImplementedError

    def need_lab(self) -> Lab:
        """The trial's lab; a step run without one (a test's trial) fails, saying so."""
        if self.ctx.lab is None:
            raise RecoveryError(f"{self.type_name}: this trial has no lab to act on")
        return self.ctx.lab

    def need_backups(self) -> BackupStore:
        """The backups taken during the trial (the schema asks for a ``backups:``
        section where a step declares it needs them)."""
        if self.ctx.backups is None:
            raise RecoveryError(f"{self.type_name}: no backups were taken in this trial")
        return self.ctx.backups
