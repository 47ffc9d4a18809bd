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
from typing import Any, Generic, TypeVar

from chaos.errors import ChaosError

T = TypeVar("T")


@dataclass
class Registry(Generic[T]):
    kind: str                                # "fault", "detector", "recovery step"
    entry_point_group: str
    _items: dict[str, T] = field(default_factory=dict)
    _plugins_loaded: bool = False

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            # T is whatever the registry holds; mypy cannot know that it takes the attribute.
            setattr(obj, "type_name", name)  # noqa: B010
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


faults: Registry[Any] = Registry("fault", "chaos.faults")
detectors: Registry[Any] = Registry("detector", "chaos.detectors")
steps: Registry[Any] = Registry("recovery step", "chaos.steps")
