"""The recipe of docs/architecture.md, "a lab feature", followed once: a feature that
exists only in the test suite (tests/labmarker.py), added to a lab without touching
``chaos/``, watched through every hook with a lab whose Docker calls do nothing (the
same feature through a real lab: tests/integration/test_lab.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chaos.lab import lab as lab_module
from chaos.lab.compose import Compose
from chaos.lab.feature import FEATURES, LabSpec
from chaos.lab.lab import Lab
from chaos.measure.timeline import Clock, Timeline
from chaos.trial.context import TrialContext
from chaos.trial.loop import lab_workers
from tests.labmarker import CALLS, HOOKS_IN_ORDER, Marker


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
