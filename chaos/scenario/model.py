"""The scenario schema: typed pydantic models for every section of a scenario file.

Built by ``load_scenario``; see ``scenarios/half-applied-update.yaml`` for a full example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

from chaos.parts import NO_NEEDS, LabNeeds, Part
from chaos.scenario.base import Strict, custom_error, raise_errors, suggest
from chaos.scenario.conflicts import part_conflicts
from chaos.scenario.contextual import base_dir
from chaos.scenario.duration import (
    Duration,
    NonNegDuration,
    format_duration,
)
from chaos.scenario.gamedaysection import GamedaySection
from chaos.scenario.indicatorspec import spec_errors
from chaos.scenario.laboptions import lab_options
from chaos.scenario.labsection import LabSection
from chaos.scenario.loadsection import Load
from chaos.scenario.measuresections import (
    AbortRule,
    BaselineSection,
    DataLossSection,
    Invariant,
    Slo,
    SteadyStateSection,
    Targets,
)
from chaos.scenario.observesection import ObserveSection
from chaos.scenario.rehearsesection import RehearseSection
from chaos.scenario.specs import DetectorSpec, FaultSpec, StepSpec

Located = tuple[tuple[str | int, ...], FaultSpec | DetectorSpec | StepSpec]


class BackupsSection(Strict):
    every: Duration
    keep: int | None = Field(None, ge=1, le=10_000)


class RecoverySection(Strict):
    trigger: Literal["on_detect", "at", "none", "manual"] = "on_detect"
    delay: NonNegDuration = 0.0
    at: NonNegDuration | None = None
    steps: list[StepSpec] = []

    @model_validator(mode="after")
    def _trigger_fits(self, info: ValidationInfo) -> RecoverySection:
        errors = []
        if self.trigger == "at" and self.at is None:
            errors.append(custom_error(("trigger",), "missing", "trigger 'at' needs an 'at:' time"))
        if self.trigger != "at" and self.at is not None:
            errors.append(custom_error(
                ("at",), "unused", f"'at' is only used with trigger 'at', not '{self.trigger}'"))
        if self.trigger == "none" and self.steps:
            errors.append(custom_error(("steps",), "unused",
                                       "trigger 'none' never runs steps; remove them or change it"))
        limit = info.context.get("time_limit") if isinstance(info.context, dict) else None
        if self.at is not None and limit is not None and self.at > limit:
            errors.append(custom_error(("at",), "after_time_limit", (
                f"recovery at {format_duration(self.at)} is after "
                f"time_limit {format_duration(limit)}")))
        raise_errors(type(self).__name__, errors)
        return self


class Scenario(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    lab: LabSection
    load: Load
    baseline: BaselineSection = BaselineSection()
    backups: BackupsSection | None = None
    faults: list[FaultSpec] = Field(min_length=1, max_length=100)
    detect: list[DetectorSpec] = Field([], max_length=100)
    recovery: RecoverySection = RecoverySection()
    steady_state: SteadyStateSection = SteadyStateSection()
    time_limit: Duration = 300.0
    targets: Targets = Targets()
    abort_if: list[AbortRule] = []
    invariants: list[Invariant] = Field([], max_length=100)
    data_loss: DataLossSection | None = None
    slo: Slo | None = None
    observe: ObserveSection | None = None
    gameday: GamedaySection | None = None
    rehearse: RehearseSection | None = None   # `chaos rehearse`'s defaults; `chaos run` ignores

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source_path: Path | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        self._base_dir = base_dir(info)
        errors = []
        seen: set[str] = set()
        for i, detector in enumerate(self.detect):
            if detector.name in seen:
                errors.append(custom_error(("detect", i, "name"), "duplicate",
                                           f"detector name '{detector.name}' is used twice"))
            seen.add(detector.name)
            errors += self._alerts_defined(i, detector)
        for i, step in enumerate(self.recovery.steps):
            if step.part.lab_needs(step.params).backups and self.backups is None:
                errors.append(custom_error(("recovery", "steps", i), "needs_backups",
                                           f"{step.type} needs a 'backups:' section"))
        errors += self._lab_options_on()
        for metric in ("data_loss", "rpo"):
            if getattr(self.targets, metric) is not None and self.data_loss is None:
                errors.append(custom_error(("targets", metric), "not_measurable", (
                    f"a '{metric}' target needs a 'data_loss' section with a query: without "
                    "it lost writes are not measured")))
        if self.targets.error_budget_burned is not None and self.slo is None:
            errors.append(custom_error(("targets", "error_budget_burned"), "not_measurable", (
                "an 'error_budget_burned' target needs an 'slo' section "
                "(slo: {availability: 99.9%}): the budget is counted against it")))
        first_at = min((f.at for f in self.faults), default=None)
        baseline_for = self.baseline.for_ or 0
        if first_at is not None and baseline_for > first_at:
            errors.append(custom_error(("baseline", "for"), "after_fault", (
                f"the baseline window ({format_duration(baseline_for)}) must end by the "
                f"first fault (at {format_duration(first_at)}); shorten it or set 'for: 0s'")))
        errors += spec_errors(self.steady_state.indicators, self.prometheus_on,
                              ("steady_state",))
        errors += self._gameday_fits()
        errors += part_conflicts(self)
        if self.recovery.trigger == "on_detect" and not self.detect:
            errors.append(custom_error(
                ("recovery", "trigger"), "needs_detectors",
                "trigger 'on_detect' needs at least one detector in 'detect'"))
        raise_errors(type(self).__name__, errors)
        return self

    def _lab_options_on(self) -> list[Any]:
        """A part that needs a lab feature the user turns on (``lab.wal_archive``...)
        is refused where it is written when the scenario leaves the feature off."""
        errors = []
        for loc, spec in self._located_specs():
            for key in sorted(spec.part.lab_needs(spec.params).lab_options - set(self.lab.options)):
                option = lab_options.get(key)
                what, how = ((option.what, option.turn_on) if option is not None
                             else (f"the lab feature '{key}'", f"'{key}: true'"))
                errors.append(custom_error(loc, f"needs_{key}", (
                    f"{spec.type} needs {what}: add {how} to the 'lab:' section")))
        return errors

    def _located_specs(self) -> list[Located]:
        """Each fault, detector and step with its place in the scenario."""
        located: list[Located]
        located = [(("faults", i), f) for i, f in enumerate(self.faults)]
        located += [(("detect", i), d) for i, d in enumerate(self.detect)]
        located += [(("recovery", "steps", i), s) for i, s in enumerate(self.recovery.steps)]
        return located

    def _gameday_fits(self) -> list[Any]:
        """A blind fault's window, plus its longest duration, within the time limit."""
        window = self.gameday.window if self.gameday is not None else None
        longest = max((f.duration or 0.0 for f in self.faults), default=0.0)
        if window is None or window[1] + longest <= self.time_limit:
            return []
        return [custom_error(("gameday", "window"), "after_time_limit", (
            f"a fault starting at {format_duration(window[1])} and lasting "
            f"{format_duration(longest)} ends after time_limit "
            f"{format_duration(self.time_limit)}"))]

    def _alerts_defined(self, i: int, detector: DetectorSpec) -> list[Any]:
        """A detector following an alert needs ``observe.prometheus`` and a rule file
        defining that alert."""
        wanted = detector.part.lab_needs(detector.params).alerts
        if not wanted:
            return []
        prom = self.observe.prometheus if self.observe else None
        if prom is None:
            return [custom_error(("detect", i, "type"), "needs_prometheus", (
                f"a '{detector.type}' detector needs Prometheus in the lab: add an "
                "'observe: {prometheus: ...}' section with its targets and rule_files"))]
        errors = []
        for name in sorted(wanted - set(prom.alerts)):
            known = ", ".join(sorted(prom.alerts)) or "none"
            hint = suggest(name, prom.alerts) if prom.alerts else ""
            errors.append(custom_error(("detect", i, "alert"), "unknown_alert", (
                f"no rule file defines alert '{name}'"
                f"{hint if 'did you mean' in hint else ''} (alerts defined: {known})")))
        return errors

    @property
    def prometheus_on(self) -> bool:
        """The lab carries Prometheus (``observe.prometheus``)."""
        return self.observe is not None and self.observe.prometheus is not None

    @property
    def source_path(self) -> Path | None:
        """The file this scenario was loaded from (None when built in code)."""
        return self._source_path

    @property
    def base_dir(self) -> Path:
        """Directory that relative paths in the scenario are resolved against."""
        return self._base_dir

    def compose_file(self) -> Path:
        return resolve_compose(self.lab.compose, self.base_dir)

    def lab_needs(self) -> LabNeeds:
        """What the scenario's parts ask of the lab, together (``chaos.parts.LabNeeds``)."""
        needs = NO_NEEDS
        for part, params in self.parts():
            needs = needs | part.lab_needs(params)
        return needs

    def parts(self) -> list[tuple[type[Part], BaseModel]]:
        """Each fault, detector and step: its class (looked up at validation) and its
        parameters."""
        return [(spec.part, spec.params) for _, spec in self._located_specs()]


def resolve_compose(compose: str, base: Path) -> Path:
    """The lab's compose file: ``compose`` relative to ``base``."""
    return (base / compose).resolve()
