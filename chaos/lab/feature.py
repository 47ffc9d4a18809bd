"""A lab feature: one optional piece of the lab (the fault proxy, a small disk, WAL
archiving, a replica, the observability stack), behind one small contract.

    @lab_feature
    @dataclass(frozen=True)
    class Marker(LabFeature):
        name: ClassVar[str] = "marker"
        value: str = "on"

        def override(self, o: OverrideDoc) -> None:
            o.service(o.spec.db_service)["environment"] = {"MARKER": self.value}

A feature is plain data (its settings, kept in the lab's ``lab.json``) and hooks,
each with a default that does nothing; ``Lab`` calls them in this order:

====================  ==========================================================
``option``             the scenario's key that turns it on (``lab.<key>``), if any
``from_scenario``      whether a scenario turns it on, and with which settings
``prepare``            before the lab is created: an image it needs
``override``           what it adds to the compose override file
``started``            after ``compose up``, before the wait for health
``ready``              once every service is healthy
``trial_worker``       during each trial: a thread sampling or acting (or None)
``between_trials``     before trial 2, 3...: put its part of the lab back
``down``               at teardown, after the containers are gone
====================  ==========================================================

The hooks receive a ``LabHandle``, what a feature may ask of a running lab, not
``Lab`` itself: ``lab.py`` imports this module, so this one cannot import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from docker.models.containers import Container

from chaos.lab.compose import Compose
from chaos.measure.timeline import Clock, Timeline
from chaos.parts import LabNeeds
from chaos.sample import COMPOSE_FILE as DEFAULT_COMPOSE  # `chaos lab up` without a scenario
from chaos.scenario.laboptions import LabOption, lab_options
from chaos.scenario.labsection import LabSection

if TYPE_CHECKING:
    from chaos.scenario import Scenario



def _section_default(name: str) -> Any:
    """The default of the scenario's ``lab:`` field: a lab built without a scenario
    (``chaos lab up``) is the one a scenario gets when it leaves the field out."""
    return LabSection.model_fields[name].default


@dataclass(frozen=True)
class LabFeature:
    """The contract; every hook's default does nothing (see the module's table)."""

    name: ClassVar[str]
    option: ClassVar[LabOption | None] = None
    """The scenario's key that turns it on, if the user does (``lab.<key>``), with its
    settings model; None: the parts' needs alone decide (``from_scenario``)."""

    @classmethod
    def from_scenario(cls, scenario: Scenario, needs: LabNeeds) -> LabFeature | None:
        return None

    def prepare(self, log: Callable[[str], None]) -> None:
        return None

    def override(self, o: OverrideDoc) -> None:
        return None

    def started(self, lab: LabHandle) -> None:
        return None

    def ready(self, lab: LabHandle) -> None:
        return None

    def trial_worker(self, lab: LabHandle, trial: TrialTools) -> TrialWorker | None:
        return None

    def between_trials(self, lab: LabHandle) -> str | None:
        """Put this feature's part of the lab back for the next trial; a line for the log."""
        return None

    def down(self, lab: LabHandle) -> None:
        return None


F = TypeVar("F", bound=LabFeature)

FEATURES: dict[str, type[LabFeature]] = {}
"""Every known feature by name, in registration order (the order hooks run in)."""


def lab_feature(cls: type[F]) -> type[F]:
    """Register a feature class under its ``name`` (a class decorator)."""
    if cls.name in FEATURES and FEATURES[cls.name] is not cls:
        raise ValueError(f"lab feature {cls.name!r} is registered twice")
    if cls.option is not None and cls.option.key in LabSection.model_fields:
        raise ValueError(f"lab feature {cls.name!r}: its key {cls.option.key!r} is a "
                         "field of the scenario's 'lab:' section")   # `db`, `options`...
    FEATURES[cls.name] = cls
    if cls.option is not None:
        lab_options.register(cls.option)
    return cls


@dataclass(frozen=True)
class LabSpec:
    compose_file: str = str(DEFAULT_COMPOSE)
    app_service: str = _section_default("app")
    db_service: str = _section_default("db")
    app_port: int = _section_default("app_port")
    db_port: int = _section_default("db_port")
    db_user: str = _section_default("db_user")
    db_password: str = _section_default("db_password")
    db_name: str = _section_default("db_name")
    db_env: dict[str, str] = field(default_factory=dict)  # added to the db's environment
    features: tuple[LabFeature, ...] = ()

    def feature(self, kind: type[F]) -> F | None:
        """This lab's feature of that class, or None when it is off."""
        return next((f for f in self.features if isinstance(f, kind)), None)


class LabHandle(Protocol):
    """What a feature may ask of a running lab (``chaos.lab.lab.Lab`` is one)."""

    id: str
    spec: LabSpec
    owner_pid: int
    primary: str

    @property
    def state_dir(self) -> Path: ...

    @property
    def compose(self) -> Compose: ...

    def container(self, service: str) -> Container: ...

    def published(self, service: str, port: int) -> tuple[str, int]: ...


@dataclass
class OverrideDoc:
    """The override file being written, and what a feature reads to add to it."""

    doc: dict[str, Any]       # the override document; features add to it
    base: dict[str, Any]      # the user's compose file, read only
    spec: LabSpec
    tags: dict[str, str]      # the lab's labels: every resource added carries them
    state_dir: Path           # the lab's own directory, for files a service mounts

    def service(self, name: str) -> dict[str, Any]:
        """The override's entry for a service, created (with the labels) if new."""
        svc: dict[str, Any] = self.doc["services"].setdefault(name, {"labels": self.tags})
        return svc


@dataclass(frozen=True)
class TrialTools:
    """What a feature's trial worker may use of the trial."""

    timeline: Timeline
    clock: Clock
    db_dsn: Callable[[], str]   # asked again each time: it follows a restart or failover


class TrialWorker(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None:
        """Stop (or wait for) the work; never raises: failures go on the timeline."""
