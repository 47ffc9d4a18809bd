"""Build a fault object from its scenario spec, through the registry."""

from __future__ import annotations

from typing import Any

from chaos.errors import FaultError
from chaos.registry import faults


def build_fault(spec: Any, ctx: Any) -> Any:
    cls = faults.get(spec.type)
    if cls is None or not hasattr(cls, "inject"):
        raise FaultError(f"fault type {spec.type!r} cannot run: no implementation registered")
    return cls(spec, ctx)
