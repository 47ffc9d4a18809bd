"""The contract between the engine and its parts (faults, detectors, recovery steps).

The bottom layer: it imports nothing of chaos, so every layer can name these
types. A part is a class registered in ``chaos.registry`` with a ``Params``
model; the engine builds it with its parameters and a ``PartContext``.

What a part needs from the lab (the fault proxy between app and database, a
small disk for the database, backups taken during the trial) it declares in
``lab_needs(params)``; the schema and the lab collect those declarations without
knowing which part asked. What a part records on the timeline it explains in
``describe(event)`` (one Markdown sentence) and ``lessons(event)`` (corrective
measures its outcome suggests): the reports ask the part instead of reading its
fields, so a third-party part tells its own story.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel

ProxyNeed = Literal["never", "without_netem", "always"]
_PROXY_ORDER: dict[str, int] = {"never": 0, "without_netem": 1, "always": 2}


@dataclass(frozen=True)
class LabNeeds:
    """What the lab must provide for a part; ``a | b`` is what both need."""

    db_proxy: ProxyNeed = "never"
    """The TCP fault proxy between app and database: always, or only where the
    engine's kernel has no ``sch_netem`` (the lab decides at start, not the schema)."""
    db_disk_mb: int = 0
    """A tmpfs of this many MiB mounted in the database service (0: none)."""
    backups: bool = False
    """Backups taken during the trial (a ``backups:`` section in the scenario)."""
    wal_archive: bool = False
    """WAL archiving and a base backup at each trial's start (``lab.wal_archive``)."""
    replica: bool = False
    """A streaming replica of the database service (``lab.replica``)."""
    alerts: frozenset[str] = frozenset()
    """Alerts of the user's rule files the part follows (``observe.prometheus``)."""

    def __or__(self, other: LabNeeds) -> LabNeeds:
        proxy = max(self.db_proxy, other.db_proxy, key=_PROXY_ORDER.__getitem__)
        return LabNeeds(db_proxy=proxy, db_disk_mb=max(self.db_disk_mb, other.db_disk_mb),
                        backups=self.backups or other.backups,
                        wal_archive=self.wal_archive or other.wal_archive,
                        replica=self.replica or other.replica,
                        alerts=self.alerts | other.alerts)


NO_NEEDS = LabNeeds()

Lesson = tuple[str, str]
"""A corrective measure for the post-mortem: (a short key, the sentence)."""

Conflict = tuple[tuple[str | int, ...], str]
"""A problem a part finds with the rest of its scenario: (the field's location from the
scenario's top, e.g. ``("faults", 2, "target")``, the sentence)."""


def code(text: Any) -> str:
    """Inline Markdown code, whatever backticks the text holds (for ``describe``)."""
    s = " ".join(str(text).split())
    fence = "``" if "`" in s else "`"
    return f"{fence} {s} {fence}" if fence == "``" else f"`{s}`"


class PartBase:
    """What every part's base class (``Fault``, ``Detector``, ``Step``) has: a name, a
    parameter model, and the defaults of the contract: no lab needs, no lessons, no
    sentence of its own (the reports then describe its events generically)."""

    type_name: ClassVar[str]        # set by the registry's ``register``
    Params: ClassVar[type[BaseModel]]

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds:
        """What the lab must provide for this part (the proxy, a small disk, backups)."""
        return NO_NEEDS

    @classmethod
    def conflicts(cls, params: Any, scenario: Any) -> list[Conflict]:
        """What this part cannot run with in ``scenario`` (validated but for this): asked
        at validation, so that such a scenario exits 2 before any container starts."""
        return []

    @classmethod
    def lessons(cls, event: dict[str, Any]) -> list[Lesson]:
        """Corrective measures this part's own event suggests."""
        return []

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        """A short Markdown phrase for one of this part's timeline events, or None."""
        return None


class PartContext(Protocol):
    """What a part is given about the trial it runs in (``chaos.trial.TrialContext``)."""

    scenario: Any
    lab: Any
    clock: Any
    timeline: Any
    backups: Any
    app_url: str
    workdir: Path

    @property
    def db_dsn(self) -> str: ...   # read-only: the trial looks it up again after a restart


class Part(Protocol):
    """Every registered part: a name, a parameter model, its lab needs, its events."""

    type_name: ClassVar[str]
    Params: ClassVar[type[BaseModel]]

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds: ...

    @classmethod
    def conflicts(cls, params: Any, scenario: Any) -> list[Conflict]: ...

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None: ...

    @classmethod
    def lessons(cls, event: dict[str, Any]) -> list[Lesson]: ...


class FaultPart(Part, Protocol):
    instant: bool
    detail: dict[str, Any]

    def check(self) -> None: ...
    def inject(self) -> None: ...
    def revert(self) -> None: ...
    def cleanup(self) -> None: ...


class DetectorPart(Part, Protocol):
    probe: ClassVar[bool]
    name: str
    fired_at: float | None
    error: str | None

    def observe(self, end: float, ok: bool, latency_s: float) -> None: ...
    def detail(self) -> dict[str, Any] | None: ...
    def check(self, now: float) -> float | None: ...
    def reset(self, t: float) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class StepPart(Part, Protocol):
    def run(self, t_fault: float | None) -> dict[str, Any] | None: ...
