"""Comparing two configurations on the real lab: an alert with `for: 2s` against `for: 8s`.

The direction is known (waiting 6 s longer before alerting must show as a TTD
regression), so `chaos compare` must find it with 5 trials per side and exit 1
under --max-regression, and must find nothing when a run is compared with itself.
Each trial is kept short: the fault at 4 s, recovery as soon as the alert fires,
steady state 2 s; the lab is built once per run and the database reset between trials.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests import shop

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
CHAOS = [sys.executable, "-m", "chaos"]
TRIALS = 5


def scenario(for_s: str, ttd_target: str = "6s") -> dict:
    faults = REPO / "scenarios" / "faults"
    return {
        "name": f"half-applied update, alert after {for_s}",
        "lab": shop.lab(),
        "load": shop.load(10),
        "data_loss": shop.DATA_LOSS,
        "backups": {"every": "30s"},
        "faults": [{"type": "half_applied_update", "at": "4s",
                    "script": str(faults / "reprice.sql"), "fail_at_statement": 4}],
        "detect": [{"name": "user-facing errors", "type": "error_rate", "window": "2s",
                    "above": "5%", "for": for_s}],
        "recovery": {"trigger": "on_detect", "delay": "0s",
                     "steps": [{"restore_backup": "latest"},
                               {"run_sql": str(faults / "reprice-fixed.sql")}]},
        "steady_state": {"error_rate": {"below": "1%", "for": "2s"}},
        "time_limit": "60s",
        "targets": {"ttd": ttd_target, "ttr": "60s"},
    }


def chaos(*args: str, cwd: Path = REPO, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run([*CHAOS, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


@pytest.fixture(scope="module")
def runs(lab_images, tmp_path_factory):
    """Two 5-trial runs under one reports dir, labelled fast (for: 2s) and slow (for: 8s)."""
    tmp = tmp_path_factory.mktemp("compare")
    reports = tmp / "reports"
    out = {"reports": reports, "tmp": tmp, "wall_s": {}}
    for label, for_s in (("fast", "2s"), ("slow", "8s")):
        path = tmp / f"{label}.yaml"
        path.write_text(yaml.safe_dump(scenario(for_s), sort_keys=False))
        t0 = time.monotonic()
        done = chaos("run", str(path), "--trials", str(TRIALS), "--label", label,
                     "--out", str(reports / label), "--junit", str(tmp / f"{label}.xml"))
        out["wall_s"][label] = round(time.monotonic() - t0, 1)
        out[label] = done
        assert (reports / label / "result.json").exists(), done.stdout[-3000:] + done.stderr
    print(f"\nwall time of the 5 + 5 trial runs: {out['wall_s']}")
    return out


def result(runs, label: str) -> dict:
    return json.loads((runs["reports"] / label / "result.json").read_text())


def test_trials_share_a_lab_and_reset_the_database(runs):
    for label in ("fast", "slow"):
        r = result(runs, label)
        assert r["status"] == "completed" and len(r["trials"]) == TRIALS
        assert all(t["status"] == "completed" and t["ttd_s"] is not None for t in r["trials"])
        assert len(r["resets_s"]) == TRIALS - 1 and max(r["resets_s"]) < 10
        assert r["label"] == label and len(r["scenario"]["sha256"]) == 64
        assert r["scenario"]["git_commit"] is None   # the scenario lies outside any repository
    print(f"\nresets_s: fast {result(runs, 'fast')['resets_s']} "
          f"slow {result(runs, 'slow')['resets_s']}")


def test_run_exit_codes_and_junit(runs):
    assert runs["fast"].returncode == 0, runs["fast"].stdout[-2000:] + runs["fast"].stderr
    assert runs["slow"].returncode == 1, runs["slow"].stdout[-2000:] + runs["slow"].stderr
    suite = ET.parse(runs["tmp"] / "slow.xml").getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"ttd", "ttr"} and suite.get("failures") == "1"
    failure = cases["ttd"].find("failure")
    assert failure is not None and "limit 6" in failure.get("message")
    assert "medians of 5 trials" in failure.text
    fast = ET.parse(runs["tmp"] / "fast.xml").getroot().find("testsuite")
    assert fast.get("failures") == "0" and fast.get("tests") == "2"


def test_compare_finds_the_ttd_regression_and_gates(runs):
    reports = str(runs["reports"])
    t0 = time.monotonic()
    done = chaos("compare", "fast", "slow", "--reports", reports, "--max-regression", "10%",
                 "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    ttd = next(m for m in doc["metrics"] if m["metric"] == "ttd_s")
    assert ttd["verdict"] == "regressed" and ttd["p"] < 0.05 and ttd["gate_exceeded"]
    assert 4 < ttd["difference_of_medians"] < 8            # about 8 s - 2 s
    assert ttd["ci95"][0] > 3
    assert len(ttd["base"]["values"]) == len(ttd["candidate"]["values"]) == TRIALS
    assert "ttd_s" in doc["regressions_beyond_gate"]
    table = chaos("compare", "fast", "slow", "--reports", reports, "--max-regression", "10%")
    assert table.returncode == 1 and "FAILED on ttd_s" in table.stdout
    print(f"\ncompare took {time.monotonic() - t0:.1f} s\n{table.stdout}")


def test_compare_a_configuration_with_itself(runs):
    done = chaos("compare", "fast", str(runs["reports"] / "fast"), "--reports",
                 str(runs["reports"]), "--max-regression", "10%", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    verdicts = {m["metric"]: m["verdict"] for m in json.loads(done.stdout)["metrics"]}
    assert set(verdicts.values()) == {"no significant change"}, verdicts


def test_history_lists_both_newest_first(runs):
    done = chaos("history", "--reports", str(runs["reports"]), "--format", "json")
    assert done.returncode == 0, done.stderr
    labels = [r["label"] for r in json.loads(done.stdout)["runs"]]
    assert labels == ["slow", "fast"]


def test_pytest_plugin_fails_a_scenario_that_misses_a_target(lab_images, tmp_path):
    """A scenario collected as a test item fails on a missed target; the fixture returns records."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "alert-too-slow.yaml").write_text(
        yaml.safe_dump(scenario("2s", ttd_target="500ms"), sort_keys=False))
    (tmp_path / "test_fixture.py").write_text(
        "def test_budget(chaos_run):\n"
        "    record = chaos_run('scenarios/alert-too-slow.yaml', max_duration='1s')\n"
        "    assert record['status'] == 'aborted' and record['abort_reason'] == 'max_duration'\n"
        "    assert record['trials'] == [] and record['passed'] is False\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
         "--rootdir", str(tmp_path),
         "--chaos-scenarios", "scenarios/*.yaml", "--chaos-reports", "reports",
         "--junitxml", "pytest.xml", "test_fixture.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-4000:]
    assert "1 failed, 1 passed" in out, out[-4000:]
    assert "FAIL ttd" in out and "limit 0.5" in out
    assert len(list((tmp_path / "reports").glob("*/result.json"))) == 2
    case = next(c for c in ET.parse(tmp_path / "pytest.xml").iter("testcase")
                if c.get("name") == "alert-too-slow")
    assert case.find("failure") is not None
    assert {p.get("name") for p in case.iter("property")} >= {"ttd_s", "ttr_s", "run_id"}
