"""A lab feature that exists only in the test suite: the recipe of docs/architecture.md,
"a lab feature", followed once (tests/unit/test_lab_feature.py with a lab whose Docker
calls do nothing; tests/integration/test_lab.py through a real lab).

A scenario turns it on with a key of its own, ``lab: {test_marker: {value: blue}}``
(or ``test_marker: true``), validated by ``MarkerSettings``; a part that needs it
declares ``LabNeeds(lab_options=frozenset({"test_marker"}))``. It adds an environment
variable and a label to the database service, samples once per trial, and records
each hook the lab calls, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from chaos.plugin import (
    LabFeature,
    LabHandle,
    LabNeeds,
    LabOption,
    OverrideDoc,
    Strict,
    TrialTools,
    lab_feature,
)

CALLS: list[str] = []


class Ticker:
    """A trial worker: one event when the trial starts, one when it stops."""

    def __init__(self, trial: TrialTools) -> None:
        self.trial = trial

    def start(self) -> None:
        CALLS.append("worker.start")
        self.trial.timeline.add("marker_tick", t=self.trial.clock.now())

    def stop(self) -> None:
        CALLS.append("worker.stop")


class MarkerSettings(Strict):
    """``lab.test_marker``: the value the database's container is marked with."""

    value: str = Field("on", pattern=r"^[a-z]+$")


@lab_feature
@dataclass(frozen=True)
class Marker(LabFeature):
    name: ClassVar[str] = "test_marker"
    option: ClassVar[LabOption | None] = LabOption("test_marker", MarkerSettings,
                                                   what="the test marker")
    value: str = "on"

    @classmethod
    def from_scenario(cls, scenario: Any, needs: LabNeeds) -> Marker | None:
        settings = scenario.lab.option(MarkerSettings)
        return cls(value=settings.value) if settings else None

    def prepare(self, log: Callable[[str], None]) -> None:
        CALLS.append("prepare")

    def override(self, o: OverrideDoc) -> None:
        CALLS.append("override")
        db = o.service(o.spec.db_service)
        db["environment"] = {"CHAOS_TEST_MARKER": self.value}
        db["labels"] = {**o.tags, "chaos.test.marker": self.value}

    def started(self, lab: LabHandle) -> None:
        CALLS.append("started")

    def ready(self, lab: LabHandle) -> None:
        CALLS.append("ready")

    def trial_worker(self, lab: LabHandle, trial: TrialTools) -> Ticker:
        return Ticker(trial)

    def between_trials(self, lab: LabHandle) -> str:
        CALLS.append("between_trials")
        return f"lab {lab.id}: marker reset"

    def down(self, lab: LabHandle) -> None:
        CALLS.append("down")


HOOKS_IN_ORDER = ["prepare", "override", "started", "ready", "worker.start", "worker.stop",
                  "between_trials", "down"]
