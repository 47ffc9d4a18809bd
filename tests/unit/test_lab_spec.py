"""The lab's spec and the scenario's ``lab:`` section share one set of defaults."""

from __future__ import annotations

from dataclasses import fields

from chaos import sample
from chaos.lab.lab import LabSpec
from chaos.lab.labspec import lab_spec
from chaos.sample import COMPOSE_FILE
from chaos.scenario import Scenario

SECTION_FIELD = {"app_service": "app", "db_service": "db"}   # the rest share their names


def minimal(**lab: object) -> Scenario:
    return Scenario.model_validate({
        "name": "defaults", "lab": {"compose": str(COMPOSE_FILE), **lab}, "load": sample.load(1),
        "faults": [{"type": "kill", "target": "db", "at": "1s"}],
        "recovery": {"trigger": "none"},
    })


def test_a_spec_without_a_scenario_is_a_scenario_that_sets_nothing():
    assert lab_spec(minimal()) == LabSpec()
    assert LabSpec().compose_file == str(COMPOSE_FILE)   # `chaos lab up`: the sample's lab


def test_every_default_comes_from_the_section():
    section = minimal().lab
    compared = [f.name for f in fields(LabSpec) if f.name not in ("compose_file", "features")]
    assert compared   # not vacuous
    for name in compared:
        assert getattr(LabSpec(), name) == getattr(section, SECTION_FIELD.get(name, name)), name


def test_a_section_that_sets_a_field_changes_only_that_field():
    assert lab_spec(minimal(db_port=6543)) == LabSpec(db_port=6543)
