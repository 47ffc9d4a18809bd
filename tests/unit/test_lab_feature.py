"""The recipe of docs/architecture.md, "a lab feature", followed once: a feature that
exists only in the test suite (tests/labmarker.py), added to a lab without touching
``chaos/``, watched through every hook with a lab whose Docker calls do nothing (the
same feature through a real lab: tests/integration/test_lab.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chaos.errors import ScenarioError
from chaos.lab import lab as lab_module
from chaos.lab.compose import Compose
from chaos.lab.feature import FEATURES, LabSpec
from chaos.lab.lab import Lab
from chaos.lab.labspec import lab_spec
from chaos.measure.timeline import Clock, Timeline
from chaos.partregistry import faults
from chaos.parts import LabNeeds
from chaos.plugin import Fault, Strict
from chaos.scenario import load_scenario
from chaos.trial.context import TrialContext
from chaos.trial.loop import lab_workers
from tests.labmarker import CALLS, HOOKS_IN_ORDER, Marker, MarkerSettings

REPO = Path(__file__).parents[2]
SCENARIO = f"""\
name: marked
lab:
  compose: {REPO / "compose" / "docker-compose.yml"}
%s
load: {{users: 1, requests: [{{path: /health}}]}}
faults:
  - {{type: %s, target: db, at: 1s, duration: 5s}}
recovery: {{trigger: none}}
"""


class NeedsMarkerParams(Strict):
    target: str


class NeedsMarker(Fault):
    """A fault that needs the marker turned on by the user (only its declaration
    matters: it is validated, never injected)."""

    Params = NeedsMarkerParams

    @classmethod
    def lab_needs(cls, params):
        return LabNeeds(lab_options=frozenset({"test_marker"}))


@pytest.fixture
def no_docker(tmp_path, monkeypatch):
    """A lab whose compose and Docker calls do nothing: only the hooks are watched."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    for name in ("up", "down", "build"):
        monkeypatch.setattr(Compose, name, lambda *a, **kw: None)
    monkeypatch.setattr(lab_module, "wait_healthy", lambda lab_id, timeout: None)
    monkeypatch.setattr(lab_module, "sweep", lambda lab_id: None)
    monkeypatch.setattr(lab_module, "list_resources", lambda lab_id: {})
    monkeypatch.setattr(lab_module, "built_services", lambda doc: [])
    CALLS.clear()


def test_a_feature_registers_by_its_name():
    assert FEATURES["test_marker"] is Marker
    assert LabSpec(features=(Marker("x"),)).feature(Marker) == Marker("x")
    assert LabSpec().feature(Marker) is None


def test_the_lab_calls_every_hook_in_order(no_docker, tmp_path):
    spec = LabSpec(features=(Marker("blue"),))
    for feature in spec.features:       # what start_lab does before the lab exists
        feature.prepare(print)
    lab = Lab.create(spec, owner_pid=1)
    doc = yaml.safe_load((lab.state_dir / "override.yml").read_text())
    db = doc["services"]["db"]
    assert db["environment"] == {"CHAOS_TEST_MARKER": "blue"}
    assert db["labels"]["chaos.test.marker"] == "blue" and db["labels"]["chaos.lab"] == lab.id

    again = Lab.load(lab.id)            # lab.json keeps the feature and its settings
    assert again.spec == spec

    lab.up(log=lambda line: None)
    ctx = TrialContext(scenario=None, lab=lab, clock=Clock(), timeline=Timeline(Clock(), None),
                       backups=None, app_url="", db_dsn="", workdir=Path(tmp_path))
    workers = lab_workers(ctx)
    for w in workers:
        w.start()
    for w in workers:
        w.stop()
    assert [e["kind"] for e in ctx.timeline.events] == ["marker_tick"]
    assert lab.between_trials() == [f"lab {lab.id}: marker reset"]
    lab.down()
    assert CALLS == HOOKS_IN_ORDER


def test_a_lab_without_the_feature_calls_none_of_it(no_docker):
    lab = Lab.create(LabSpec(), owner_pid=1)
    lab.up(log=lambda line: None)
    assert lab.between_trials() == []
    lab.down()
    assert CALLS == []


@pytest.fixture
def needs_marker(monkeypatch):
    """The fault above, registered for this test only."""
    faults.names()   # the built-in faults first, so the item is not lost on their load
    monkeypatch.setitem(faults._items, "needs_marker", NeedsMarker)
    return "needs_marker"


def scenario_file(tmp_path: Path, lab_lines: str, fault: str = "pause") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO % (lab_lines, fault))
    return path


def test_a_scenario_turns_the_feature_on_by_its_own_key(tmp_path):
    """The schema side of the recipe: the key, its settings and their errors come from
    the feature's module alone (chaos/scenario/ never names it)."""
    sc = load_scenario(scenario_file(tmp_path, "  test_marker: {value: blue}"))
    assert sc.lab.option(MarkerSettings) == MarkerSettings(value="blue")
    assert lab_spec(sc).feature(Marker) == Marker("blue")
    assert lab_spec(load_scenario(scenario_file(tmp_path, "  test_marker: true"))).feature(
        Marker) == Marker("on")
    for off in ("  test_marker: false", "  health_path: /health"):
        sc = load_scenario(scenario_file(tmp_path, off))
        assert sc.lab.options == {} and lab_spec(sc).feature(Marker) is None


@pytest.mark.parametrize(("lab_lines", "expected"), [
    ("  test_marker: {value: Blue}", ":4: lab.test_marker.value: string should match pattern"),
    ("  test_marker: {valeu: blue}", ":4: lab.test_marker.valeu: unknown field 'valeu'"),
    ("  test_markr: true", ":4: lab.test_markr: unknown field 'test_markr'; "
                           "did you mean 'test_marker'?"),
    ("  options: {test_marker: {}}", ":4: lab.options: unknown field 'options'"),
])
def test_the_features_settings_are_checked_at_their_line(tmp_path, lab_lines, expected):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(scenario_file(tmp_path, lab_lines))
    assert expected in str(exc.value), str(exc.value)


def test_a_part_that_needs_the_feature_is_refused_without_it(tmp_path, needs_marker):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(scenario_file(tmp_path, "  health_path: /health", needs_marker))
    assert (":7: faults[0]: needs_marker needs the test marker: add 'test_marker: true' "
            "to the 'lab:' section") in str(exc.value), str(exc.value)
    sc = load_scenario(scenario_file(tmp_path, "  test_marker: true", needs_marker))
    assert sc.lab_needs().lab_options == {"test_marker"}
    assert lab_spec(sc).feature(Marker) == Marker("on")


def test_missing_entry_points_are_said_not_read_as_unknown_keys():
    """An install whose metadata predates the ``chaos.lab_features`` group would refuse
    ``lab.wal_archive`` as an unknown field, with nothing pointing at the cause."""
    from chaos.errors import ChaosError
    from chaos.scenario.laboptions import LabOptions

    with pytest.raises(ChaosError, match=r"pip install -e \."):
        LabOptions("chaos.no_such_group").keys()


@pytest.mark.parametrize("key", ["db", "compose", "options"])
def test_a_feature_cannot_take_a_lab_fields_key(key):
    from dataclasses import dataclass
    from typing import ClassVar

    from chaos.plugin import LabFeature, LabOption, lab_feature

    with pytest.raises(ValueError, match="is a field of the scenario's 'lab:' section"):
        @lab_feature
        @dataclass(frozen=True)
        class Thief(LabFeature):
            name: ClassVar[str] = f"thief_{key}"
            option: ClassVar[LabOption | None] = LabOption(key, MarkerSettings, what="x")
    assert f"thief_{key}" not in FEATURES
