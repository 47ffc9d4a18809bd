"""The CI gate without Docker: JUnit XML, --max-duration, the recorded git commit, the plugin."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from chaos.cli.run_commands import budget_seconds, write_junit
from chaos.errors import UsageError
from chaos.provenance import git_commit
from chaos.runtrial import MAX_DURATION, stop_at
from tests.needs import need_tool

SEED_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "runs" / "seed-sample"


def test_junit_file_has_the_required_elements(tmp_path: Path):
    run_dir = tmp_path / "run"
    shutil.copytree(SEED_SAMPLE, run_dir)
    dest = tmp_path / "ci" / "chaos.xml"
    write_junit(run_dir, dest)
    root = ET.parse(dest).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    for attr in ("name", "tests", "failures", "errors", "time"):
        assert suite.get(attr) is not None, attr
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == 3            # one per scenario target
    assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases) == 1
    for case in cases:
        assert case.get("name") and case.get("classname") and case.get("time") is not None
    failure = next(c for c in cases if c.get("name") == "data_loss").find("failure")
    assert failure.get("message") and failure.get("type")
    assert "ttd_s 2.419" in failure.text and "ttr_s 12.655" in failure.text
    assert "lost writes 165" in failure.text
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert (props["ttd_s"], props["ttr_s"], props["lost_writes"]) == ("2.419", "12.655", "165")


@pytest.mark.parametrize("text, seconds", [("10m", 600.0), ("90", 90.0), ("1m30s", 90.0),
                                           (None, None)])
def test_max_duration_parses(text, seconds):
    assert budget_seconds(text) == seconds


@pytest.mark.parametrize("text", ["soon", "0s", "-1m"])
def test_max_duration_rejects(text):
    with pytest.raises(UsageError):
        budget_seconds(text)


def fake_trial() -> SimpleNamespace:
    """What stop_at uses of a trial: its real end policy, on a timeline that records."""
    from chaos.trial import TrialState
    from chaos.trial.ending import EndPolicy

    events = []
    ctx = SimpleNamespace(
        timeline=SimpleNamespace(add=lambda kind, **kw: events.append((kind, kw))))
    state = TrialState()
    ending = EndPolicy(SimpleNamespace(time_limit=60, abort_if=[]), ctx, state, manual=False)
    return SimpleNamespace(state=state, events=events, ctx=ctx, abort=ending.abort)


def test_stop_at_ends_the_trial_as_aborted_once_the_budget_is_spent():
    ticks = []
    trial = fake_trial()
    stop_at(None, ticks.append)(trial)
    assert trial.state.end_reason is None and ticks == [trial]
    stop_at(0.0, ticks.append)(trial)     # a deadline in the past
    assert trial.state.end_reason == f"aborted: {MAX_DURATION}"
    assert trial.events == [("abort_condition", {"reason": MAX_DURATION})]


def test_stop_at_leaves_a_finished_trial_alone():
    trial = fake_trial()
    trial.state.end_reason = "recovered"
    stop_at(0.0, lambda t: None)(trial)
    assert trial.state.end_reason == "recovered" and trial.events == []


def test_git_commit_of_the_scenario_repository(tmp_path: Path):
    assert git_commit(tmp_path) is None                      # not a repository
    assert git_commit(tmp_path / "missing") is None
    need_tool("git")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "s.yaml").write_text("name: x\n")
    subprocess.run([*git, "add", "s.yaml"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert git_commit(tmp_path) == head.strip()


def run_pytest(where: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "--rootdir", str(where), *args], cwd=where, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow   # a pytest or chaos subprocess, or matplotlib charts: seconds
def test_plugin_is_inert_without_the_option(tmp_path: Path):
    (tmp_path / "scenario.yaml").write_text("name: not a test\n")
    (tmp_path / "test_x.py").write_text("def test_x(chaos_run):\n    assert callable(chaos_run)\n")
    done = run_pytest(tmp_path, "-W", "error")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


@pytest.mark.slow   # a pytest or chaos subprocess, or matplotlib charts: seconds
def test_plugin_collects_scenarios_and_validates_them_first(tmp_path: Path):
    (tmp_path / "bad.yaml").write_text("name: broken\nfaults: []\n")
    done = run_pytest(tmp_path, "--chaos-scenarios", "*.yaml", "--collect-only")
    assert done.returncode != 0
    assert "faults" in done.stdout   # the scenario error, before any lab starts
    done = run_pytest(tmp_path, "--chaos-scenarios", "nothing-*.yaml")
    assert done.returncode == 4 and "no file matches" in done.stderr


DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", ["chaos-gate.sh", "chaos-gate.github.yml"])
def test_docs_ci_shows_the_example_files_verbatim(name: str):
    assert (DOCS / "examples" / name).read_text() in (DOCS / "ci.md").read_text()


def test_example_pipeline_files_parse():
    import yaml

    subprocess.run(["bash", "-n", str(DOCS / "examples" / "chaos-gate.sh")], check=True)
    workflow = yaml.safe_load((DOCS / "examples" / "chaos-gate.github.yml").read_text())
    steps = workflow["jobs"]["chaos"]["steps"]
    assert any("chaos-gate.sh" in (s.get("run") or "") for s in steps)
    assert any((s.get("uses") or "").startswith("actions/upload-artifact") for s in steps)


# ---- nothing judged is not "met" (issue #23) ------------------------------------------

def run_record(**fields):
    from chaos.record import SCHEMA_VERSION, RunRecord

    return RunRecord.model_validate({"schema_version": SCHEMA_VERSION, "run_id": "r1",
                                     "status": "completed", "scenario": {"name": "s"},
                                     "trials": [], **fields})


def test_the_run_verdict_says_when_nothing_was_judged():
    from chaos.cli.run_commands import verdict_line

    target = {"metric": "ttd", "limit": 30, "observed": 2.4, "passed": True}
    missed = {**target, "observed": 40.0, "passed": False}
    assert verdict_line(run_record(passed=True, targets=[target])) == "targets met"
    assert verdict_line(run_record(passed=False, targets=[missed])) == "targets missed"
    # every target met, yet not passed: says why instead of claiming a miss
    assert verdict_line(run_record(passed=False, targets=[target], trials=[
        {"trial": 1, "status": "completed"}, {"trial": 2, "status": "aborted"}])) == (
        "run did not pass: trial 2 aborted")
    assert verdict_line(run_record(passed=True, targets=[])) == (
        "run completed; the scenario declares no targets and no invariants, so nothing "
        "was judged")


def test_a_miss_lists_the_trials_that_did_not_complete():
    from chaos.pytest_plugin import describe_miss

    text = describe_miss(run_record(
        targets=[{"metric": "ttd", "limit": 30, "observed": None, "passed": False,
                  "note": "not measured: no detector fired"}],
        trials=[{"trial": 1, "status": "completed"},
                {"trial": 2, "status": "aborted", "abort_reason": "error_rate above 50%"}]))
    assert "FAIL ttd              observed not measured" in text
    assert "(not measured: no detector fired)" in text
    assert "trial 2 aborted: error_rate above 50%" in text and "None" not in text


@pytest.mark.slow   # a pytest subprocess
def test_plugin_skips_a_scenario_that_judged_nothing(tmp_path: Path):
    (tmp_path / "s.yaml").write_text("name: no targets\n")
    (tmp_path / "conftest.py").write_text(
        "from types import SimpleNamespace\n"
        "import chaos.run, chaos.scenario\n"
        "chaos.scenario.load_scenario = lambda path, **kw: SimpleNamespace(name='no targets')\n"
        "from chaos.record import RunRecord\n"
        "chaos.run.run_scenario = lambda path, opts: RunRecord.model_validate({\n"
        "    'schema_version': 1, 'run_id': 'r1', 'status': 'completed', 'passed': True,\n"
        "    'targets': [], 'summary': {}, 'trials': [], 'scenario': {'name': 'no targets'}})\n")
    done = run_pytest(tmp_path, "--chaos-scenarios", "s.yaml", "-rs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout and "nothing was judged" in done.stdout


@pytest.mark.slow   # a pytest subprocess
@pytest.mark.parametrize("held, outcome", [(True, "1 passed"), (False, "1 failed")])
def test_plugin_judges_a_scenario_with_invariants_and_no_targets(tmp_path: Path, held, outcome):
    (tmp_path / "s.yaml").write_text("name: invariants only\n")
    (tmp_path / "conftest.py").write_text(
        "from types import SimpleNamespace\n"
        "import chaos.run, chaos.scenario\n"
        "chaos.scenario.load_scenario = lambda path, **kw: SimpleNamespace(name='inv')\n"
        "from chaos.record import RunRecord\n"
        f"inv = {{'name': 'stock', 'expect': 0, 'observed': {0 if held else 3}, "
        f"'passed': {held}}}\n"
        "chaos.run.run_scenario = lambda path, opts: RunRecord.model_validate({\n"
        f"    'schema_version': 1, 'run_id': 'r1', 'status': 'completed', 'passed': {held},\n"
        "    'targets': [], 'summary': {}, 'scenario': {'name': 'inv'},\n"
        f"    'trials': [{{'trial': 1, 'status': 'completed', 'passed': {held}, "
        "'invariants': [inv]}]})\n")
    done = run_pytest(tmp_path, "--chaos-scenarios", "s.yaml", "-rs")
    assert done.returncode == (0 if held else 1), done.stdout + done.stderr
    assert outcome in done.stdout and "nothing was judged" not in done.stdout
    if not held:
        assert "FAIL invariant 'stock' (trial 1): observed 3, expect 0" in done.stdout
