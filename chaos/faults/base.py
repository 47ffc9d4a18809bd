"""What every fault is: ``inject()`` then, always, ``revert()``.

A fault class registers under its YAML name with a ``Params`` model; the run
engine builds it with the fault's spec and the trial context::

    fault = FaultClass(spec, ctx)
    fault.inject()      # at spec.at
    ...                 # spec.duration later, or at the end of the trial
    fault.revert()      # always, even when the trial is aborted

``revert`` must be safe to call when ``inject`` failed halfway or never ran.
``check`` runs when the trial is built, before load starts: a fault that
cannot run on this host (no netem, no proxy wired in) raises ``FaultError``
there, not halfway through a trial. ``cleanup`` runs once at the end of every
trial, after ``revert``: it leaves the lab runnable for the next trial (e.g.
starts a killed database that no restart policy brought back).
"""

from __future__ import annotations

from typing import Any, ClassVar

from chaos.errors import FaultError
from chaos.lab.lab import Lab
from chaos.partcontext import PartContext
from chaos.parts import PartBase


class Fault(PartBase):
    """The base of every fault (``chaos.parts.FaultPart``)."""

    #: True when the fault is over as soon as inject() returns (e.g. a script that
    #: ran and died); False when it lasts until revert() (e.g. a paused container).
    #: An instance may decide for itself (kill or stop without a duration).
    instant: bool = False
    #: True when the fault lasts until it is reverted and the scenario must say how long
    #: (``duration:``); the schema refuses the fault without one.
    requires_duration: ClassVar[bool] = False

    def __init__(self, spec: Any, ctx: PartContext) -> None:
        self.spec = spec
        self.params = spec.params
        self.ctx = ctx
        self.detail: dict[str, Any] = {}

    def inject(self) -> None:
        raise NotImplementedError

    def check(self) -> None:
        """Raise FaultError if this fault cannot run here; nothing to check by default."""

    def revert(self) -> None:
        """Undo what inject did; nothing to do by default."""

    def cleanup(self) -> None:
        """At trial end, after revert: leave the lab runnable; nothing by default."""

    def need_lab(self) -> Lab:
        """The trial's lab; a fault run without one (a test's trial) fails, saying so."""
        if self.ctx.lab is None:
            raise FaultError(f"{self.type_name}: this trial has no lab to act on")
        return self.ctx.lab
