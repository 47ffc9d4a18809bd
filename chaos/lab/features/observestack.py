"""Prometheus, Alertmanager and the alert receiver in the lab (``observe.prometheus``).

The services and their configuration are ``chaos.lab.observability.stack``'s; this is
when they come: their image before the lab is created, the services in the
override, a wait until they answer once the lab is healthy, a fresh start
between trials (no trial's alert sees the last one's errors in its windows or
inherits its firing state), and their configuration files removed at teardown.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from chaos.lab.feature import LabFeature, LabHandle, LabSpec, OverrideDoc, lab_feature
from chaos.lab.images.observeset import ensure_observe_image
from chaos.lab.observability.stack import (
    observe_override,
    observe_spec,
    restart_stack,
    wait_stack_ready,
)
from chaos.parts import LabNeeds
from chaos.scenario import Scenario


@lab_feature
@dataclass(frozen=True)
class ObserveStack(LabFeature):
    name: ClassVar[str] = "observe"
    config: dict[str, Any] = field(default_factory=dict)   # stack.observe_spec

    @classmethod
    def from_scenario(cls, scenario: Scenario, needs: LabNeeds) -> ObserveStack | None:
        prom = scenario.observe.prometheus if scenario.observe else None
        return cls(config=observe_spec(prom)) if prom else None

    def prepare(self, log: Callable[[str], None]) -> None:
        ensure_observe_image(log=log)      # built once: a no-op when it is up to date

    def override(self, o: OverrideDoc) -> None:
        observe_override(o.doc, o.base, o.spec, o.tags, o.state_dir, self.config)

    def ready(self, lab: LabHandle) -> None:
        wait_stack_ready(lab)

    def between_trials(self, lab: LabHandle) -> str:
        return (f"lab {lab.id}: Prometheus and Alertmanager restarted afresh in "
                f"{restart_stack(lab):.1f} s")

    def down(self, lab: LabHandle) -> None:
        shutil.rmtree(lab.state_dir / "observe", ignore_errors=True)


def observe_config(lab: object) -> dict[str, Any]:
    """The stack's settings in this lab (``observe_spec``); empty when it has none."""
    spec = getattr(lab, "spec", None)
    stack = spec.feature(ObserveStack) if isinstance(spec, LabSpec) else None
    return stack.config if stack is not None else {}
