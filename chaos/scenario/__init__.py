"""Scenario files: the schema, loading with line numbers, and validation.

    from chaos.scenario import load_scenario
    scenario = load_scenario("scenarios/half-applied-update.yaml")   # or ScenarioError
"""

from chaos.scenario.duration import Duration, NonNegDuration, Ratio, parse_duration, parse_ratio
from chaos.scenario.loader import load_scenario
from chaos.scenario.model import Scenario, resolve_compose
from chaos.scenario.specs import DetectorSpec, FaultSpec, StepSpec

__all__ = [
    "Duration", "NonNegDuration", "Ratio", "parse_duration", "parse_ratio",
    "load_scenario", "Scenario", "resolve_compose", "FaultSpec", "DetectorSpec", "StepSpec",
]
