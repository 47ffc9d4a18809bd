"""What every recovery step is: built with its parameters and the trial context, then run.

    step = StepClass(params, ctx)
    detail = step.run(t_fault)      # a dict that goes on the timeline's step_done event

A step that needs something of the lab or the scenario declares it in
``lab_needs`` (``restore_backup`` needs backups); the schema then asks for it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from chaos.parts import NO_NEEDS, LabNeeds, Lesson, PartContext


class Step:
    """The base of every recovery step (``chaos.parts.StepPart``)."""

    type_name: ClassVar[str]        # set by ``@steps.register``
    Params: ClassVar[type[BaseModel]]

    def __init__(self, params: Any, ctx: PartContext) -> None:
        self.params, self.ctx = params, ctx

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds:
        return NO_NEEDS

    @classmethod
    def lessons(cls, event: dict[str, Any]) -> list[Lesson]:
        """Corrective measures this part's own event suggests; none by default."""
        return []

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        return None

    def run(self, t_fault: float | None) -> dict[str, Any] | None:
        raise NotImplementedError
