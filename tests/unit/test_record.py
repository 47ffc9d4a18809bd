"""The run record's models (chaos/record.py): what the run writes is what every reader reads.

The run goes through ``run_scenario`` with a lab and a trial that are played
back, not started (no Docker); the record it leaves is read back by
``load_run`` (reports), ``load_result`` (compare, history) and rendered.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, get_args

import pytest
from pydantic import BaseModel, ValidationError

from chaos import run as run_mod
from chaos import runtrial
from chaos.atomic import write_json
from chaos.errors import EXIT_INVALID_INPUT, ReportError
from chaos.history import scan
from chaos.lab.feature import LabSpec
from chaos.record import SCHEMA_VERSION, RunRecord, TrialRecord, load_result, load_run
from chaos.report import render_all
from chaos.trial import Trial

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "data" / "runs" / "seed-sample"
SCENARIO = f"""\
name: played back
lab: {{compose: {REPO / "compose" / "docker-compose.yml"}}}
load: {{users: 1, requests: [{{path: /health}}]}}
faults:
  - {{type: pause, target: db, at: 1s, duration: 5s}}
recovery: {{trigger: none}}
slo: {{availability: 99%}}
targets: {{ttd: 10s, error_budget_burned: 50%}}
"""


class PlayedTrial(Trial):
    """A trial that replays a short outage instead of running load against a lab."""

    interrupt = False

    def run(self):
        tl, st = self.ctx.timeline, self.state
        tl.add("trial_started", scenario=self.sc.name)
        tl.add("fault_injected", t=1.0, fault="pause", index=0, plugin_key={"kept": True})
        st.t_fault = 1.0
        for i in range(90):
            st.counts.add(0.5 + i * 1e-4, True, 1.0)
        for i in range(10):
            st.counts.add(2.0 + i * 1e-4, False, 1.0)
        if self.interrupt:
            raise KeyboardInterrupt("SIGTERM")
        st.end_reason = "time_limit"
        return st


@pytest.fixture
def played(tmp_path, monkeypatch):
    """run(interrupt=False) -> the run directory of a played-back run."""
    downs = []
    lab = SimpleNamespace(id="fake0001", project="chaos-fake0001", app_url="http://127.0.0.1:9",
                          db_dsn="", down=lambda: downs.append(True) or [], spec=LabSpec(),
                          between_trials=lambda: [])
    monkeypatch.setattr(run_mod, "start_lab", lambda spec, owner_pid, log: lab)
    monkeypatch.setattr(runtrial, "Trial", PlayedTrial)   # run_trial makes the trial
    scenario = tmp_path / "played.yaml"
    scenario.write_text(SCENARIO)

    def play(interrupt: bool = False) -> Path:
        out = tmp_path / "run"
        monkeypatch.setattr(PlayedTrial, "interrupt", interrupt)
        opts = run_mod.RunOptions(out=out, label="played", live=False, log=lambda line: None)
        try:
            run_mod.run_scenario(scenario, opts)
        except KeyboardInterrupt:
            assert interrupt
        assert downs, "the lab is torn down"
        return out

    return play


# ---- round trip: writer -> result.json -> readers ----------------------------------------

def test_what_the_run_writes_every_reader_reads_back_unchanged(played):
    out = played()
    written = json.loads((out / "result.json").read_text())
    assert written["schema_version"] == SCHEMA_VERSION
    record = load_result(out / "result.json")               # compare and history read this
    assert record.as_dict() == written and record.trials[0].fault_t == 1.0
    run = load_run(out)                                     # the reports read this
    assert run.result["trials"] == written["trials"] and run.result["lab"] == {
        "id": "fake0001", "project": "chaos-fake0001"}
    (trial,) = run.trials
    assert trial["status"] == "completed" and trial["failed_requests"] == 10
    assert trial["fault_t"] == 1.0                            # the trial's origin, recorded
    assert isinstance(trial["failed_requests"], int)          # 10, never 10.0
    assert trial["error_budget_burned"] == pytest.approx(10.0)   # 10 failed of a 1-request budget
    assert [t["metric"] for t in trial["targets"]] == ["ttd", "error_budget_burned"]
    assert written["summary"]["failed_requests"]["median"] == 10
    assert [t["metric"] for t in written["targets"]] == ["ttd", "error_budget_burned"]
    assert written["passed"] is False and written["status"] == "completed"
    fault = next(e for e in run.events[1] if e["kind"] == "fault_injected")
    assert fault["plugin_key"] == {"kept": True}              # a part's own keys survive
    (declared,) = written["scenario"]["faults"]               # its parameters, as JSON
    assert declared["params"]["target"] == "db" and declared["duration_s"] == 5


def test_the_written_record_renders_and_is_listed(played, tmp_path):
    out = played()
    names = {p.name for p in render_all(out)}
    assert {"postmortem.md", "junit.xml"} <= names
    runs, skipped = scan(tmp_path)
    assert skipped == [] and [r.result.run_id for r in runs] == [
        json.loads((out / "result.json").read_text())["run_id"]]


def test_an_interrupted_run_leaves_a_record_the_readers_accept(played):
    out = played(interrupt=True)
    run = load_run(out)
    assert run.result["status"] == "aborted" and "SIGTERM" in run.result["abort_reason"]
    (trial,) = run.trials
    assert trial["status"] == "aborted" and trial["failed_requests"] == 10


def test_the_writer_checks_each_field_as_it_sets_it():
    trial = TrialRecord(trial=1, status="running")
    with pytest.raises(ValidationError):
        trial.ttd_s = "soon"
    with pytest.raises(ValidationError):
        trial.status = "finished"
    trial.ttd_s = 2
    assert trial.as_dict() == {"trial": 1, "status": "running", "ttd_s": 2}   # only what was set


# ---- tolerant where a record is honestly partial ----------------------------------------

def test_a_trial_the_process_did_not_live_to_finish_is_read():
    record = json.loads((SAMPLE / "result.json").read_text())
    record["trials"].append({"trial": 2, "status": "running"})
    del record["summary"], record["targets"], record["passed"]
    assert RunRecord.model_validate(record).as_dict() == record


def test_the_committed_old_record_still_loads(tmp_path):
    run_dir = tmp_path / "seed"
    shutil.copytree(SAMPLE, run_dir)
    assert load_result(run_dir / "result.json").as_dict() == json.loads(
        (SAMPLE / "result.json").read_text())
    assert load_run(run_dir).trials[0]["data_loss"]["lost"] == 165
    # written before a fault's parameters were kept: read as none, and not written back
    old = load_result(run_dir / "result.json")
    assert old.scenario.faults[0].params == {}
    assert "params" not in old.as_dict()["scenario"]["faults"][0]


def test_a_secret_among_a_faults_parameters_is_masked_on_write(tmp_path):
    record = RunRecord.model_validate_json((SAMPLE / "result.json").read_text())
    record.scenario.faults[0].params = {
        "db_password": "hunter2-but-longer", "dsn": "postgresql://app:s3cr3t@db:5432/shop",
        "statement": "SET password=topsecret"}
    write_json(tmp_path / "result.json", record.as_dict())
    text = (tmp_path / "result.json").read_text()
    assert "hunter2" not in text and "s3cr3t" not in text and "topsecret" not in text
    params = load_result(tmp_path / "result.json").scenario.faults[0].params
    assert params == {"db_password": "***", "dsn": "postgresql://app:***@db:5432/shop",
                      "statement": "SET password=***"}


# ---- damaged records: a ReportError naming the file and the field -----------------------

def damaged(tmp_path: Path, change) -> str:
    run_dir = tmp_path / "damaged"
    shutil.copytree(SAMPLE, run_dir, dirs_exist_ok=True)
    record = json.loads((SAMPLE / "result.json").read_text())
    change(record)
    (run_dir / "result.json").write_text(json.dumps(record))
    with pytest.raises(ReportError) as err:
        load_run(run_dir)
    assert err.value.exit_code == EXIT_INVALID_INPUT
    assert str(run_dir / "result.json") in str(err.value)
    return str(err.value)


def test_a_wrong_type_in_a_trial_names_the_field(tmp_path):
    message = damaged(tmp_path, lambda r: r["trials"][0].update(ttd_s="2.4"))
    assert "field 'trials[0].ttd_s' should be a number, found a string '2.4'" in message


@pytest.mark.parametrize(("value", "says"), [
    (True, " should be a number, found true"),
    (float("nan"), ": NaN is not a measurement"),     # never "found a number 'nan'"
    (1e300, ": 1e+300 is beyond any measurement (limit 1e15)"),
])
def test_a_number_is_finite_and_never_a_boolean(tmp_path, value, says):
    message = damaged(tmp_path, lambda r: r["trials"][0].update(outage_s=value))
    assert f"field 'trials[0].outage_s'{says}" in message
    assert "found a number" not in message


def test_every_problem_is_reported_at_once(tmp_path):
    def break_three(r):
        r["trials"][0]["data_loss"]["lost"] = "many"
        r["trials"][0]["status"] = "finished"
        r["summary"]["ttd_s"]["median"] = [1]

    message = damaged(tmp_path, break_three)
    assert "field 'trials[0].data_loss.lost' should be a whole number" in message
    assert "field 'trials[0].status' should be one of 'running', 'completed'" in message
    assert "field 'summary.ttd_s.median' should be a number, found a list" in message


def test_an_unknown_schema_version_is_refused_before_any_field(tmp_path):
    def newer(r):
        r["schema_version"] = 2
        r["trials"] = "a newer shape"

    message = damaged(tmp_path, newer)
    assert "schema_version 2; this version of chaos reads schema_version 1" in message
    assert "trials" not in message.split(": ", 1)[1]


def test_missing_trials_is_named(tmp_path):
    assert "field 'trials' is missing" in damaged(tmp_path, lambda r: r.pop("trials"))


def test_an_unknown_target_in_the_scenario_is_named(tmp_path):
    message = damaged(tmp_path, lambda r: r["scenario"]["targets"].update(mttr=5))
    assert "field 'scenario.targets.mttr' should be one of ttd" in message


# ---- one low module, one version check ------------------------------------------------

@pytest.mark.parametrize("module", sorted(p.name for p in (REPO / "chaos" / "record").glob("*.py")))
def test_the_record_package_imports_no_reader_or_writer(module):
    tree = ast.parse((REPO / "chaos" / "record" / module).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    upper = ("chaos.report", "chaos.run", "chaos.compare", "chaos.history", "chaos.cli", "click")
    assert not [m for m in imported if m and m.startswith(upper)], imported


def test_schema_version_is_checked_in_one_place():
    checks = [p.relative_to(REPO).as_posix() for p in (REPO / "chaos").rglob("*.py")
              if "READABLE_SCHEMAS" in p.read_text() or "SUPPORTED_SCHEMAS" in p.read_text()]
    assert checks == ["chaos/record/models.py"]


def test_every_field_a_target_summary_or_comparison_reads_is_in_the_trial_model():
    from chaos.compare.samples import METRICS
    from chaos.measure.summary import SUMMARIZED
    from chaos.measure.targets import TARGET_FIELDS

    def known(dotted: str) -> bool:
        model: Any = TrialRecord
        for part in dotted.split("."):
            if part not in model.model_fields:
                return False
            model = next((a for a in get_args(model.model_fields[part].annotation)
                          if isinstance(a, type) and issubclass(a, BaseModel)), None)
        return True

    fields = {*TARGET_FIELDS.values(), *SUMMARIZED, *METRICS}
    assert [f for f in sorted(fields) if not known(f)] == []
