"""Scenario files: the schema, loading with line numbers, and validation.

    from chaos.scenario import load_scenario
    scenario = load_scenario("scenarios/half-applied-update.yaml")   # or ScenarioError
"""

from chaos.scenario.duration import Duration, NonNegDuration, Ratio, parse_duration, parse_ratio
from chaos.scenario.loader import load_scenario
from chaos.scenario.model import Scenario, resolve_compose
from chaos.scenario.parts import DetectorSpec, FaultSpec, StepSpec

__all__ = [
    "Duration", "NonNegDuration", "Ratio", "parse_duration", "parse_ratio",
    "load_scenario", "Scenario", "resolve_compose", "FaultSpec", "DetectorSpec", "StepSpec",
]


def validate_files(paths: list[str], overrides: tuple[str, ...] = ()) -> None:
    """`chaos validate`: check every file, print "ok" lines, raise one error for all problems.

    ``overrides`` (``--set`` texts) apply to every file."""
    import click

    from chaos.errors import ScenarioError

    problems = []
    for path in paths:
        try:
            scenario = load_scenario(path, overrides=overrides)
        except ScenarioError as exc:
            problems.extend(exc.problems)
        else:
            click.echo(f"{path}: ok ({scenario.name})")
    if problems:
        raise ScenarioError(problems)


def lab_spec(scenario: Scenario):
    """The lab a scenario asks for, as the lab package understands it."""
    from chaos.faults.disk import disk_size
    from chaos.faults.network import needs_proxy
    from chaos.lab.lab import LabSpec

    lab = scenario.lab
    return LabSpec(compose_file=str(scenario.compose_file()), app_service=lab.app, db_service=lab.db,
                   app_port=lab.app_port, db_port=lab.db_port, db_user=lab.db_user, db_password=lab.db_password,
                   db_name=lab.db_name, db_proxy=needs_proxy([f.type for f in scenario.faults]),
                   db_disk=disk_size(scenario.faults))
