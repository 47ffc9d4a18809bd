"""Build detector objects from their scenario specs, through the registry."""

from __future__ import annotations

from typing import Any

from chaos.errors import DetectError
from chaos.registry import detectors


def build_detectors(specs: list[Any], ctx: Any) -> list[Any]:
    built = []
    for spec in specs:
        cls = detectors.get(spec.type)
        if cls is None or not hasattr(cls, "check"):
            raise DetectError(f"detector type {spec.type!r} cannot run: no implementation registered")
        built.append(cls(spec.name, spec.params, ctx))
    return built
