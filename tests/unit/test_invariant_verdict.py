"""Invariants count in the verdict: a trial, a run, `chaos run`'s summary and exit code,
JUnit, the pytest plugin and the post-mortem all fail on an invariant that did not hold,
and on one that could not be read (not measured is never a pass).

Before, ``passed`` looked at the targets only: a run whose invariant failed exited 0 and
read "targets met", and one without targets read "nothing was judged".
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

import chaos.lab.engine
from chaos import run as run_mod
from chaos import runtrial
from chaos.cli.run_commands import run_cmd, verdict_line
from chaos.errors import EXIT_OK, EXIT_TARGETS_MISSED
from chaos.lab.feature import LabSpec
from chaos.measure.timeline import Clock, Timeline
from chaos.pytest_plugin import describe_miss
from chaos.record import SCHEMA_VERSION, RunRecord, TrialRecord, load_run
from chaos.record.judged import judged_nothing
from chaos.report import junit as junit_report
from chaos.report import postmortem as postmortem_report
from chaos.scenario import load_scenario
from chaos.trial import Trial, TrialContext
from chaos.trial import recorded as recorded_mod

REPO = Path(__file__).parents[2]
SAMPLE = REPO / "tests" / "data" / "runs" / "seed-sample"
BASE = f"""\
name: held
lab: {{compose: {REPO / "compose" / "docker-compose.yml"}}}
load: {{users: 1, requests: [{{path: /health}}]}}
faults:
  - {{type: pause, target: db, at: 1s, duration: 5s}}
recovery: {{trigger: none}}
"""
INVARIANT = "invariants: [{name: stock, query: SELECT 0, expect: 1}]\n"
MET_TARGET = "targets: {failed_requests: 100}\n"   # 10 fail below: met

HELD = {"name": "stock", "query": "SELECT 0", "expect": 1, "observed": 1, "passed": True}
FAILED = {**HELD, "observed": 0, "passed": False}
UNREAD = {**HELD, "observed": None, "passed": False,
          "error": "not measured: connection refused"}


def answers(monkeypatch, *results: dict) -> None:
    """The invariants' answers, as ``check_invariants`` gives them (no database)."""
    monkeypatch.setattr(recorded_mod, "check_invariants",
                        lambda dsn, invariants: [dict(r) for r in results])


# ---- the trial ------------------------------------------------------------------------

def trial_for(tmp_path: Path, extra: str, fault: bool = True) -> TrialRecord:
    path = tmp_path / "s.yaml"
    path.write_text(BASE + extra)
    clock = Clock()
    timeline = Timeline(clock, tmp_path / "timeline.jsonl", trial=1)
    ctx = TrialContext(scenario=load_scenario(path), lab=None, clock=clock, timeline=timeline,
                       backups=None, app_url="http://127.0.0.1:9", db_dsn="",
                       workdir=tmp_path / "trial-1")
    trial = Trial(ctx)
    if fault:
        trial.state.t_fault = 1.0
        timeline.add("fault_injected", t=1.0, fault="pause", index=0)
    for i in range(10):
        trial.state.counts.add(2.0 + i * 1e-4, False, 1.0)
    trial.state.end_reason = "time_limit"
    return recorded_mod.trial_record(1, trial, timeline, ctx, wall_s=1.0, verify=True,
                                     status="completed")


def test_a_trial_with_its_targets_met_and_its_invariant_held_passes(tmp_path, monkeypatch):
    answers(monkeypatch, HELD)
    rec = trial_for(tmp_path, MET_TARGET + INVARIANT)
    assert [t.passed for t in rec.targets] == [True] and rec.passed is True


def test_a_failed_invariant_fails_the_trial_though_every_target_was_met(tmp_path, monkeypatch):
    answers(monkeypatch, FAILED)
    rec = trial_for(tmp_path, MET_TARGET + INVARIANT)
    assert [t.passed for t in rec.targets] == [True]
    assert rec.passed is False
    assert rec.invariants[0].observed == 0 and rec.invariants[0].error is None


def test_an_invariant_not_measured_fails_the_trial_and_keeps_its_reason(tmp_path, monkeypatch):
    answers(monkeypatch, UNREAD)
    rec = trial_for(tmp_path, MET_TARGET + INVARIANT)
    assert rec.passed is False
    (inv,) = rec.invariants
    assert inv.passed is False and inv.error == "not measured: connection refused"


def test_invariants_of_a_trial_without_a_fault_are_not_measured_not_left_out(tmp_path,
                                                                             monkeypatch):
    answers(monkeypatch, HELD)   # never asked: nothing was injected to check after
    rec = trial_for(tmp_path, INVARIANT, fault=False)
    (inv,) = rec.invariants
    assert inv.name == "stock" and inv.error == "not measured: no fault was injected"
    assert rec.passed is False


# ---- the verdict in words -------------------------------------------------------------

def record(passed: bool, targets: list[dict], invariants: list[dict],
           trials: int = 1) -> RunRecord:
    return RunRecord.model_validate({
        "schema_version": SCHEMA_VERSION, "run_id": "r1", "status": "completed",
        "scenario": {"name": "s"}, "passed": passed, "targets": targets,
        "trials": [{"trial": n, "status": "completed", "passed": passed,
                    "invariants": invariants} for n in range(1, trials + 1)]})


MET = {"metric": "ttd", "limit": 30, "observed": 2.4, "passed": True}
MISSED = {**MET, "observed": 40.0, "passed": False}


@pytest.mark.parametrize("passed, targets, invariants, line", [
    (True, [MET], [HELD], "targets met; invariants held"),
    (True, [], [HELD], "invariants held (the scenario declares no targets)"),
    (False, [MET], [FAILED], "invariant failed: 'stock'"),
    (False, [], [FAILED], "invariant failed: 'stock'"),
    (False, [MISSED], [FAILED], "targets missed; invariant failed: 'stock'"),
    (False, [MET], [UNREAD], "invariant not measured: 'stock'"),
    (False, [MISSED], [], "targets missed"),
    # a record written before invariants counted: its failed invariant still shows
    (True, [MET], [FAILED], "invariant failed: 'stock'"),
])
def test_the_verdict_says_what_was_missed(passed, targets, invariants, line):
    assert verdict_line(record(passed, targets, invariants)) == line


def test_a_run_with_an_invariant_but_no_target_was_judged():
    rec = record(False, [], [FAILED])
    assert not judged_nothing(rec)
    assert "nothing was judged" not in verdict_line(rec)
    assert judged_nothing(record(True, [], []))


def test_the_plugin_names_the_invariant_that_failed():
    text = describe_miss(record(False, [MET], [FAILED, {**UNREAD, "name": "prices"}]))
    assert text.startswith("s: invariant failed: 'stock'; invariant not measured: 'prices' "
                           "(run r1, status completed)")
    assert "FAIL invariant 'stock' (trial 1): observed 0, expect 1" in text
    assert "FAIL invariant 'prices' (trial 1): not measured: connection refused" in text


# ---- chaos run: summary and exit code, through a played-back run ------------------------

class PlayedTrial(Trial):
    """A short outage replayed instead of load against a lab."""

    def run(self):
        st = self.state
        self.ctx.timeline.add("fault_injected", t=1.0, fault="pause", index=0)
        st.t_fault = 1.0
        for i in range(10):
            st.counts.add(2.0 + i * 1e-4, False, 1.0)
        st.end_reason = "time_limit"
        return st


@pytest.fixture
def chaos_run(tmp_path, monkeypatch, capsys):
    """chaos_run(scenario_text) -> (exit code, printed lines, run directory), no Docker."""
    lab = SimpleNamespace(id="fake0001", project="chaos-fake0001", app_url="http://127.0.0.1:9",
                          db_dsn="", down=lambda: [], spec=LabSpec(), between_trials=lambda: [])
    monkeypatch.setattr(run_mod, "start_lab", lambda spec, owner_pid, log: lab)
    monkeypatch.setattr(runtrial, "Trial", PlayedTrial)
    monkeypatch.setattr(chaos.lab.engine, "check_local", lambda: None)
    played = run_mod.run_scenario

    def quiet(path, opts):   # no live page
        opts.live = False
        return played(path, opts)

    monkeypatch.setattr(run_mod, "run_scenario", quiet)

    def go(text: str) -> tuple[int, list[str], Path]:
        scenario = tmp_path / "s.yaml"
        scenario.write_text(text)
        out = tmp_path / "run"
        code = run_cmd(str(scenario), trials=1, out=str(out), label=None,
                       keep_observations=False, keep_lab=False,
                       junit=str(tmp_path / "junit.xml"))
        return code, capsys.readouterr().out.splitlines(), out

    return go


def test_chaos_run_exits_1_on_a_failed_invariant_with_every_target_met(chaos_run, monkeypatch):
    answers(monkeypatch, FAILED)
    code, lines, out = chaos_run(BASE + MET_TARGET + INVARIANT)
    assert code == EXIT_TARGETS_MISSED
    assert "  FAIL invariant 'stock': observed 0, expect 1" in lines
    assert lines[-1] == "invariant failed: 'stock'"
    written = json.loads((out / "result.json").read_text())
    assert written["passed"] is False and written["trials"][0]["passed"] is False
    assert all(t["passed"] for t in written["targets"])


def test_chaos_run_without_targets_judges_its_invariant(chaos_run, monkeypatch):
    answers(monkeypatch, UNREAD)
    code, lines, _ = chaos_run(BASE + INVARIANT)
    assert code == EXIT_TARGETS_MISSED
    assert "  FAIL invariant 'stock': not measured: connection refused" in lines
    assert lines[-1] == "invariant not measured: 'stock'"
    assert not any("nothing was judged" in line for line in lines)


def test_chaos_run_passes_when_the_invariant_held(chaos_run, monkeypatch):
    answers(monkeypatch, HELD)
    code, lines, _ = chaos_run(BASE + INVARIANT)
    assert code == EXIT_OK
    assert lines[-1] == "invariants held (the scenario declares no targets)"


# ---- JUnit and the post-mortem ----------------------------------------------------------

@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(SAMPLE, out)
    return out


def edit(run_dir: Path, invariants: list[dict], no_targets: bool = False) -> None:
    path = run_dir / "result.json"
    result = json.loads(path.read_text())
    result["trials"][0]["invariants"] = invariants
    if no_targets:
        result["targets"], result["scenario"]["targets"] = [], {}
        result["trials"][0]["targets"] = []
    path.write_text(json.dumps(result))


def junit_cases(run_dir: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    suite = ET.fromstring(junit_report.render(load_run(run_dir))).find("testsuite")
    return suite, {c.get("name"): c for c in suite.iter("testcase")}


def test_junit_has_a_testcase_per_invariant_failing_with_what_it_saw(run_dir: Path):
    edit(run_dir, [FAILED, {**UNREAD, "name": "prices"}, {**HELD, "name": "books"}])
    suite, cases = junit_cases(run_dir)
    assert (suite.get("tests"), suite.get("failures")) == ("6", "3")   # 3 targets, 3 invariants
    stock = cases["invariant: stock"].find("failure")
    assert stock.get("message") == "observed 0, expect 1" and stock.get("type") == "InvariantFailed"
    assert "trial 1: observed 0, expect 1: FAILED" in stock.text
    prices = cases["invariant: prices"].find("failure")
    assert prices.get("message") == "not measured: connection refused"
    assert prices.get("type") == "InvariantNotMeasured"
    assert cases["invariant: books"].find("failure") is None


def test_junit_without_targets_but_with_an_invariant_is_judged(run_dir: Path):
    edit(run_dir, [FAILED], no_targets=True)
    suite, cases = junit_cases(run_dir)
    assert list(cases) == ["invariant: stock"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("1", "1", "0")


def test_the_postmortem_says_the_invariant_failed(run_dir: Path):
    edit(run_dir, [FAILED, {**UNREAD, "name": "prices"}])
    text = postmortem_report.render(load_run(run_dir))
    head = next(line for line in text.splitlines() if line.startswith("Run `"))
    assert head.endswith("**targets missed; invariant failed: 'stock'; invariant not measured: "
                         "'prices'**")
    assert "| stock | 1 | 1 | 0 | **FAIL** |" in text
    assert "| prices | 1 | 1 | — (not measured: connection refused) | **NOT MEASURED** |" in text


# ---- a record written before invariants counted (passed: true beside a failed one) --------

def old_style(run_dir: Path) -> None:
    """Two trials (so the report has its trials table), every target met, the invariant
    failed, and the record still says passed."""
    path = run_dir / "result.json"
    result = json.loads(path.read_text())
    second = json.loads(json.dumps(result["trials"][0]))
    second["trial"] = 2
    result["trials"].append(second)
    for t in result["targets"]:
        t["passed"] = True
    for trial in result["trials"]:
        trial["invariants"] = [FAILED]
        trial["passed"] = True
        for t in trial["targets"]:
            t["passed"] = True
    result["passed"] = True
    path.write_text(json.dumps(result))


def test_an_old_record_is_judged_the_same_by_every_reader(run_dir: Path):
    """The header, the trials table, JUnit's `passed` property and history all say the
    invariant failed: none of them repeats the stored `passed: true`."""
    from chaos.history import as_rows, scan

    old_style(run_dir)
    text = postmortem_report.render(load_run(run_dir))
    trial_lines = [line for line in text.splitlines()
                   if line.startswith(("| 1 | completed", "| 2 | completed"))]
    assert len(trial_lines) == 2
    assert all(line.rstrip().endswith("| **FAIL** |") for line in trial_lines)
    suite, cases = junit_cases(run_dir)
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["passed"] == "false" and cases["invariant: stock"].find("failure") is not None
    runs, skipped = scan(run_dir.parent)
    (row,) = as_rows(runs)
    assert row["passed"] is False and not skipped


def test_junit_names_a_wrong_value_before_a_trial_that_could_not_read(run_dir: Path):
    path = run_dir / "result.json"
    result = json.loads(path.read_text())
    second = json.loads(json.dumps(result["trials"][0]))
    second["trial"] = 2
    result["trials"][0]["invariants"], second["invariants"] = [UNREAD], [FAILED]
    result["trials"].append(second)
    path.write_text(json.dumps(result))
    _, cases = junit_cases(run_dir)
    failure = cases["invariant: stock"].find("failure")
    assert failure.get("type") == "InvariantFailed"
    assert failure.get("message") == "trial 2: observed 0, expect 1"
    assert "trial 1: not measured: connection refused" in failure.text


def test_exit_3_only_when_the_unmeasured_data_loss_is_all_that_was_missed():
    """An unreadable data_loss query is chaos's failure (exit 3) only when nothing the
    system got wrong sits beside it: a missed ttd or a wrong invariant is exit 1."""
    from chaos.cli.run_commands import unmeasured_target

    lost = {"metric": "data_loss", "limit": 0, "observed": None, "passed": False}

    def rec(targets: list[dict], invariants: list[dict]) -> RunRecord:
        r = record(False, targets, invariants)
        r.scenario.targets = {t["metric"]: t["limit"] for t in targets}
        r.trials[0].data_loss_error = "relation \"orders\" does not exist"
        return r

    assert unmeasured_target(rec([MET, lost], []))
    assert unmeasured_target(rec([MET, lost], [UNREAD]))
    assert not unmeasured_target(rec([MISSED, lost], []))
    assert not unmeasured_target(rec([MET, lost], [FAILED]))
