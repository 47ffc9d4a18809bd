"""Registries of the pluggable parts: faults, detectors and recovery steps.

A part registers under the name a scenario uses for it::

    @faults.register("half_applied_update")
    class HalfAppliedUpdate(Fault):
        Params = HalfAppliedUpdateParams      # a pydantic model, checked by `chaos validate`

The scenario schema asks a registry for the ``Params`` model of a ``type:`` name,
so a new part never touches the schema core; `chaos list` is generated from here.

Parts plug in through the ``chaos.faults`` / ``chaos.detectors`` / ``chaos.steps``
entry-point groups, the built-in ones too (``builtin`` in pyproject.toml): this
module imports no part, so every part can import it without a cycle. The groups
are loaded the first time a registry is asked for a name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Generic, TypeVar, cast

from chaos.errors import ChaosError
from chaos.parts import DetectorPart, FaultPart, PartBase, StepPart

T = TypeVar("T")
C = TypeVar("C", bound=type)


@dataclass
class Registry(Generic[T]):
    kind: str                                # "fault", "detector", "recovery step"
    entry_point_group: str
    _items: dict[str, T] = field(default_factory=dict)
    _plugins_loaded: bool = False

    def register(self, name: str) -> Callable[[C], C]:
        def decorate(obj: C) -> C:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            if not issubclass(obj, PartBase):   # refused where it is registered, once
                raise ChaosError(f"{self.kind} type {name!r} cannot be registered: "
                                 f"{obj.__qualname__} is not a part class (it must subclass "
                                 "the base of its kind, e.g. chaos.faults.base.Fault)")
            obj.type_name = name
            # The class is checked against the kind's base where it is built (chaos.build).
            self._items[name] = cast(T, obj)
            return obj

        return decorate

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        found = entry_points(group=self.entry_point_group)
        if not found:
            raise ChaosError(f"no {self.kind} types are registered: chaos's entry points are "
                             "missing (run it from an installed package: pip install -e .)")
        for ep in found:
            ep.load()  # importing the module runs its @register decorators

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._items)

    def get(self, name: str) -> T | None:
        self._load_plugins()
        return self._items.get(name)

    def items(self) -> list[tuple[str, T]]:
        self._load_plugins()
        return sorted(self._items.items())


faults: Registry[type[FaultPart]] = Registry("fault", "chaos.faults")
detectors: Registry[type[DetectorPart]] = Registry("detector", "chaos.detectors")
steps: Registry[type[StepPart]] = Registry("recovery step", "chaos.steps")
