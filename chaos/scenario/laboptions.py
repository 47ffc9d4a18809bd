"""The scenario's own keys for lab features: ``lab.wal_archive``, ``lab.replica``...

A lab feature the user turns on by a key under ``lab:`` (``chaos.lab.feature``)
declares that key here, with the pydantic model of its settings, as its ``option``;
``@lab_feature`` registers it. The schema validates the key against that model and a
part that needs the feature (``LabNeeds.lab_options``) is refused at validation when
the scenario leaves it off, so the schema never names a feature, and a new feature
touches its own module only.

The schema sits below the lab, so it never imports the features: they are loaded
through the ``chaos.lab_features`` entry-point group (the built-in ones, too) the
first time a key is looked up, as the parts are (``chaos.partregistry``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points

from pydantic import BaseModel

from chaos.errors import ChaosError


@dataclass(frozen=True)
class LabOption:
    key: str
    """Its key under ``lab:``; ``key: true`` is the settings' defaults, ``false`` off."""
    model: type[BaseModel]
    """Its settings (a ``chaos.scenario.base.Strict`` model: unknown keys are errors)."""
    what: str
    """What it is, for a sentence: "a streaming replica"."""
    how: str = ""
    """How to turn it on, quoted in the error of a part that needs it
    (default ``'<key>: true'``)."""
    server_options: bool = False
    """It adds ``-c`` options to the db service's command, which must start postgres."""

    @property
    def turn_on(self) -> str:
        return self.how or f"'{self.key}: true'"


@dataclass
class LabOptions:
    entry_point_group: str
    _items: dict[str, LabOption] = field(default_factory=dict)
    _loaded: bool = False

    def register(self, option: LabOption) -> None:
        known = self._items.get(option.key)
        if known is not None and known != option:
            raise ValueError(f"lab option {option.key!r} is registered twice")
        self._items[option.key] = option

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        found = entry_points(group=self.entry_point_group)
        if not found:   # the built-in features always register: the install is stale
            raise ChaosError(f"no lab features are registered ({self.entry_point_group} "
                             "entry points): chaos's install is missing them or out of "
                             "date (reinstall it: pip install -e .)")
        for ep in found:
            ep.load()   # importing a feature module registers its option

    def get(self, key: str) -> LabOption | None:
        self._load()
        return self._items.get(key)

    def keys(self) -> list[str]:
        self._load()
        return list(self._items)


lab_options = LabOptions("chaos.lab_features")
