"""The contract between the engine and its parts (faults, detectors, recovery steps).

The bottom layer: it imports nothing of chaos, so every layer can name these
types. A part is a class registered in ``chaos.partregistry`` with a ``Params``
model; the engine builds it with its parameters and a ``PartContext``
(``chaos.partcontext``).

What a part needs from the lab (the fault proxy between app and database, a
small disk for the database, backups taken during the trial) it declares in
``lab_needs(params)``; the schema and the lab collect those declarations without
knowing which part asked. What a part records on the timeline it explains in
``describe(event)`` (one Markdown sentence) and ``lessons(event)`` (corrective
measures its outcome suggests): the reports ask the part instead of reading its
fields, so a third-party part tells its own story.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:   # matplotlib is imported where a chart is drawn, never here
    from matplotlib.figure import Figure

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
    lab_options: frozenset[str] = frozenset()
    """Lab features the user must turn on in the scenario, by their key under ``lab:``
    (``wal_archive``, ``replica``: ``chaos.scenario.laboptions``)."""
    alerts: frozenset[str] = frozenset()
    """Alerts of the user's rule files the part follows (``observe.prometheus``)."""

    def __or__(self, other: LabNeeds) -> LabNeeds:
        proxy = max(self.db_proxy, other.db_proxy, key=_PROXY_ORDER.__getitem__)
        return LabNeeds(db_proxy=proxy, db_disk_mb=max(self.db_disk_mb, other.db_disk_mb),
                        backups=self.backups or other.backups,
                        lab_options=self.lab_options | other.lab_options,
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


def seconds(value: float | None) -> str:
    """A duration for people: '7.6 s', '2 min 05 s', '1 h 02 min'; None is '—'."""
    if value is None:
        return "—"
    if abs(value) < 1:
        return f"{value:.2f} s"
    if abs(value) < 60:
        return f"{value:.1f} s"
    whole = int(round(value))
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


# ---- what a part brings to the record and the reports ----------------------------------

@dataclass(frozen=True)
class SectionFacts:
    """What the trial knows when a part's record section is written (trial clock)."""

    t_fault: float | None
    impact_t: float | None     # the first instant an indicator left its objective


class TrialView(Protocol):
    """One trial of a run record as a part's report hooks read it
    (``chaos.report.story.TrialStory``): its record, events and samples."""

    n: int
    record: dict[str, Any]
    events: list[dict[str, Any]]
    samples: list[dict[str, Any]]
    t_fault: float | None

    def error_percent(self) -> tuple[list[float], list[float | None]]:
        """Sample times and the error percentage users saw (None: no answers)."""
        ...


@dataclass(frozen=True)
class ReportSection:
    """A part's own paragraph of the post-mortem: an opening line, then one Markdown
    bullet per line (``**ShopErrorRateHigh** (page): fault → impact +0.4 s ...``)."""

    title: str
    lines: list[str]


@dataclass(frozen=True)
class Chart:
    """A picture a part draws of one trial. Written as ``file`` from the first trial that
    draws it, linked from the post-mortem (``alt``), inlined in report.html for the
    first three trials under "``title``, trial N" with ``caption``."""

    file: str
    title: str
    caption: str
    alt: str
    shows: Callable[[TrialView], bool]
    """Cheap: whether ``draw`` has something to draw for this trial (no matplotlib)."""
    draw: Callable[[TrialView], Figure | None]


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

    record_key: ClassVar[str | None] = None
    """The key of the part's own section in its entry of a trial's record (a detector's:
    ``trials[n].detectors[i].<key>``, a fault's: ``trials[n].faults[i].<key>``); None: it
    has none. Recovery steps record what they did on the timeline (their events)."""
    Record: ClassVar[type[BaseModel] | None] = None
    """The model of that section: written by the part, checked when a record is read
    where the part is installed (elsewhere the section is kept as it is)."""
    charts: ClassVar[tuple[Chart, ...]] = ()
    """The pictures the part draws of a trial (``Chart``)."""

    @classmethod
    def report_section(cls, trials: list[dict[str, Any]]) -> ReportSection | None:
        """The part's own paragraph of the post-mortem, from the trials' records (the
        sections it wrote under ``record_key``), or None when it has nothing to say."""
        return None

    def record_section(self, facts: SectionFacts) -> BaseModel | None:
        """This part's own section of the trial's record, an instance of its ``Record``
        model written under its ``record_key``, asked once when the trial is recorded;
        None: nothing of its own."""
        return None

    def record_notes(self, section: BaseModel) -> list[str]:
        """Notes for the trial that its section calls for (what the part could not see or
        do, say): never a silent null."""
        return []


class TrialClock(Protocol):
    """The trial's clock (``chaos.measure.timeline.Clock``): seconds since the run's
    origin, and the wall-clock instant it started at."""

    wall0: float

    def now(self) -> float: ...
    def from_wall(self, wall: float) -> float: ...
    def wall_iso(self, t: float) -> str: ...


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

    record_key: ClassVar[str | None]
    Record: ClassVar[type[BaseModel] | None]
    charts: ClassVar[tuple[Chart, ...]]

    @classmethod
    def report_section(cls, trials: list[dict[str, Any]]) -> ReportSection | None: ...


class FaultPart(Part, Protocol):
    instant: bool
    requires_duration: ClassVar[bool]
    detail: dict[str, Any]

    def record_section(self, facts: SectionFacts) -> BaseModel | None: ...
    def record_notes(self, section: BaseModel) -> list[str]: ...

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
    def record_section(self, facts: SectionFacts) -> BaseModel | None: ...
    def record_notes(self, section: BaseModel) -> list[str]: ...
    def check(self, now: float) -> float | None: ...
    def reset(self, t: float) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class StepPart(Part, Protocol):
    def run(self, t_fault: float | None) -> dict[str, Any] | None: ...
