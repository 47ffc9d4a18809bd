"""The lab a scenario asks for: its compose file and services, and the features it turns on.

Each feature says whether a scenario wants it (``LabFeature.from_scenario``),
from the scenario's sections and what its parts declared they need
(``chaos.parts.LabNeeds``); a need that depends on the host is settled there: a
network fault that wants the fault proxy only "without netem" gets it when the
engine's kernel has no ``sch_netem`` (``chaos.lab.features.dbproxy``).
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

import chaos.lab.features  # noqa: F401  (registers the built-in features)
from chaos.lab.feature import FEATURES, LabFeature, LabSpec
from chaos.scenario import Scenario


def lab_spec(scenario: Scenario) -> LabSpec:
    lab, needs = scenario.lab, scenario.lab_needs()
    wanted = (kind.from_scenario(scenario, needs) for kind in FEATURES.values())
    features: tuple[LabFeature, ...] = tuple(f for f in wanted if f is not None)
    return LabSpec(compose_file=str(scenario.compose_file()), app_service=lab.app,
                   db_service=lab.db, app_port=lab.app_port, db_port=lab.db_port,
                   db_user=lab.db_user, db_password=lab.db_password, db_name=lab.db_name,
                   db_env={k: str(v) for k, v in lab.db_env.items()}, features=features)


def spec_to_json(spec: LabSpec) -> dict[str, Any]:
    """The spec as plain data for ``lab.json``: each feature by name, with its settings."""
    data = {f.name: getattr(spec, f.name) for f in fields(spec) if f.name != "features"}
    data["features"] = [{"name": f.name, **asdict(f)} for f in spec.features]
    return data


def spec_from_json(data: dict[str, Any]) -> LabSpec:
    """The spec ``spec_to_json`` wrote; KeyError or TypeError when it is not one."""
    features = []
    for entry in data.get("features") or []:
        settings = dict(entry)
        features.append(FEATURES[settings.pop("name")](**settings))
    return LabSpec(**{k: v for k, v in data.items() if k != "features"},
                   features=tuple(features))
