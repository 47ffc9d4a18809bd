"""Build a fault object from its scenario spec, through the registry."""

from __future__ import annotations

from typing import Any

from chaos.errors import FaultError
from chaos.faults.base import Fault
from chaos.parts import PartContext
from chaos.registry import faults


def build_fault(spec: Any, ctx: PartContext) -> Fault:
    cls = faults.get(spec.type)
    if not (isinstance(cls, type) and issubclass(cls, Fault)):
        raise FaultError(f"fault type {spec.type!r} cannot run: its registered implementation "
                         "is not a chaos.faults.base.Fault")
    return cls(spec, ctx)
