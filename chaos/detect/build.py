"""Build detector objects from their scenario specs, through the registry."""

from __future__ import annotations

from typing import Any

from chaos.detect.base import Detector
from chaos.errors import DetectError
from chaos.parts import PartContext
from chaos.registry import detectors


def build_detectors(specs: list[Any], ctx: PartContext) -> list[Detector]:
    built = []
    for spec in specs:
        cls = detectors.get(spec.type)
        if not (isinstance(cls, type) and issubclass(cls, Detector)):
            raise DetectError(f"detector type {spec.type!r} cannot run: its registered "
                              "implementation is not a chaos.detect.base.Detector")
        built.append(cls(spec.name, spec.params, ctx))
    return built
