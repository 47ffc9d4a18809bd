"""The error budget: counted against the scenario's SLO, by the same path a run takes.

The schema accepted an `error_budget_burned` target while the run never passed
the SLO to the metrics, so the value was always null and the target always
failed. These tests go through `chaos.trial.recorded.trial_record`, where that happened.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.errors import ScenarioError
from chaos.measure.timeline import Clock, Timeline
from chaos.record import TrialRecord
from chaos.scenario import load_scenario
from chaos.trial import Trial, TrialContext
from chaos.trial.recorded import trial_record

REPO = Path(__file__).parents[2]
BASE = f"""\
name: budget
lab: {{compose: {REPO / "compose" / "docker-compose.yml"}}}
load: {{users: 1, requests: [{{path: /health}}]}}
faults:
  - {{type: pause, target: db, at: 1s, duration: 5s}}
recovery: {{trigger: none}}
"""


def load(tmp_path: Path, extra: str):
    path = tmp_path / "s.yaml"
    path.write_text(BASE + extra)
    return load_scenario(path)


def record_for(tmp_path: Path, extra: str, ok: int, failed: int) -> TrialRecord:
    sc = load(tmp_path, extra)
    clock = Clock()
    timeline = Timeline(clock, tmp_path / "timeline.jsonl", trial=1)
    ctx = TrialContext(scenario=sc, lab=None, clock=clock, timeline=timeline, backups=None,
                       app_url="http://127.0.0.1:9", db_dsn="", workdir=tmp_path / "trial-1")
    trial = Trial(ctx)
    trial.state.t_fault = 1.0
    timeline.add("fault_injected", t=1.0, fault="pause", index=0)
    for i in range(ok):
        trial.state.counts.add(0.5 + i * 1e-4, True, 1.0)
    for i in range(failed):
        trial.state.counts.add(2.0 + i * 1e-4, False, 1.0)
    trial.state.end_reason = "time_limit"
    return trial_record(1, trial, timeline, ctx, wall_s=1.0, status="completed")


def test_budget_is_counted_against_the_scenarios_slo(tmp_path):
    rec = record_for(tmp_path, "slo: {availability: 99%}\ntargets: {error_budget_burned: 50%}\n",
                     ok=990, failed=10)
    # 1000 requests at 99%: a budget of 10 failures, all 10 spent
    assert rec.error_budget_burned == pytest.approx(1.0)
    (target,) = rec.targets
    assert target.metric == "error_budget_burned" and target.passed is False


def test_budget_target_passes_when_under(tmp_path):
    rec = record_for(tmp_path, "slo: {availability: 99.9%}\ntargets: {error_budget_burned: 50%}\n",
                     ok=3996, failed=4)
    assert rec.error_budget_burned == pytest.approx(1.0)    # 4 of a 4-request budget
    rec = record_for(tmp_path, "slo: {availability: 99%}\ntargets: {error_budget_burned: 50%}\n",
                     ok=3996, failed=4)
    assert rec.error_budget_burned == pytest.approx(0.1)
    assert rec.targets[0].passed is True


def test_without_an_slo_there_is_no_budget(tmp_path):
    rec = record_for(tmp_path, "", ok=10, failed=10)
    assert rec.error_budget_burned is None


def test_budget_target_without_slo_is_a_validation_error(tmp_path):
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, "targets: {error_budget_burned: 50%}\n")
    text = str(err.value)
    assert "targets.error_budget_burned" in text and "slo" in text and ":7:" in text


@pytest.mark.parametrize("value", ["100%", "0%", "1", "0"])
def test_availability_must_leave_a_budget(tmp_path, value):
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, f"slo: {{availability: {value}}}\n")
    assert "slo.availability" in str(err.value) or "slo" in str(err.value)
