"""Point-in-time recovery on the real engine: the seed incident, shortened, recovered by
``restore_pitr`` (real Docker, PostgreSQL with WAL archiving, Locust).

``before_fault`` must bring back the schema as it was before the migration's
first statement and lose (almost) no acknowledged write; ``latest`` replays the
migration's statements too, so the broken schema is back. The lab must be gone
afterwards, the archive volume and the base backup with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaos.lab.resources import list_resources

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "half-applied-update-pitr.yaml"
PRICE_COLUMN = ("SELECT count(*) FROM information_schema.columns "
                "WHERE table_name = 'products' AND column_name = 'price_cents'")


def shortened(tmp: Path, target: str) -> Path:
    """The shipped PITR scenario with its times cut down (as tests/e2e `shorten` does)."""
    doc = yaml.safe_load(SCENARIO.read_text())
    doc["lab"]["compose"] = str((SCENARIO.parent / doc["lab"]["compose"]).resolve())
    doc["lab"]["db_env"] = {"SEED_ROWS": 10000}
    doc["load"]["locustfile"] = str((SCENARIO.parent / doc["load"]["locustfile"]).resolve())
    doc["faults"][0].update(at="10s", script=str(SCENARIO.parent / doc["faults"][0]["script"]))
    doc["detect"] = [{"name": "errors", "type": "error_rate", "window": "3s", "above": "5%",
                      "for": "1s"}]
    doc["recovery"]["delay"] = "1s"
    doc["recovery"]["steps"] = [{"restore_pitr": target}]
    doc["steady_state"] = {"error_rate": {"below": "1%", "for": "3s"}}
    # The schema as it ends up: whether the price column is there at all.
    doc["invariants"] = [{"name": "price column present", "query": PRICE_COLUMN, "expect": 1}]
    doc["time_limit"] = {"before_fault": "45s", "latest": "25s"}.get(target, "16s")
    path = tmp / f"pitr-{target}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run(scenario: Path, out: Path, exit_code: int | None = None) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "chaos", "run", str(scenario), "--out",
                           str(out), "--allow-outside-files"], capture_output=True, text=True,
                          timeout=240, cwd=REPO)
    assert (out / "result.json").exists(), proc.stdout + proc.stderr
    if exit_code is not None:
        assert proc.returncode == exit_code, proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads((out / "result.json").read_text())
    assert result["lab"]["id"] and not list_resources(result["lab"]["id"])["volumes"] \
        and not list_resources(result["lab"]["id"])["containers"], "the lab was left behind"
    return result


def events(trial: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in trial["events"] if e["kind"] == kind]


def test_before_fault_restores_the_schema_and_keeps_the_acknowledged_writes(
        lab_images, tmp_path):
    result = run(shortened(tmp_path, "before_fault"), tmp_path / "before")
    trial = result["trials"][0]
    assert trial["status"] == "completed", trial.get("notes")
    base = events(trial, "base_backup_taken")
    assert base and base[0]["bytes"] > 1_000_000 and base[0]["took_s"] > 0
    applied = events(trial, "fault_applied")[0]
    done = [e for e in events(trial, "step_done") if e["step"] == "restore_pitr"]
    assert done, [e for e in trial["events"] if "step" in e or "recovery" in e["kind"]]
    step = done[0]
    assert step["target_lsn"] == applied["wal_lsn_before"]
    assert step["replayed_bytes"] > 0 and step["restored_bytes"] == base[0]["bytes"]
    assert set(step["phases_s"]) == {"stop", "restore_base", "start", "replay", "reconnect"}
    assert {e["phase"] for e in events(trial, "pitr_phase")} == set(step["phases_s"])
    assert trial["ttr_s"] is not None
    assert [i["passed"] for i in trial["invariants"]] == [True], trial["invariants"]
    loss = trial["data_loss"]
    # A 30 s dump loses every write since it (hundreds here); the replay stops at the
    # recorded position, so it loses only what was committed while the script ran.
    assert loss["acknowledged"] > 100 and loss["lost"] < 0.1 * loss["acknowledged"], loss
    if loss["lost"]:
        first, last = loss["lost_window_s"]
        assert applied["wal_lsn_t"] - 0.05 <= first <= last <= applied["t"] + 0.05, loss
    assert trial["rpo_s"] is not None and trial["rpo_s"] < 1.0


def test_latest_replays_the_half_applied_update(lab_images, tmp_path):
    result = run(shortened(tmp_path, "latest"), tmp_path / "latest")
    trial = result["trials"][0]
    step = [e for e in events(trial, "step_done") if e["step"] == "restore_pitr"][0]
    assert step["target"] == "latest" and "target_lsn" not in step
    # The migration's statements are in the WAL like any others: the column is gone again.
    assert [i["passed"] for i in trial["invariants"]] == [False], trial["invariants"]
    assert trial["ttr_s"] is None
    # The broken invariant, read from the real database, fails the trial and the run, and
    # CI sees it as its own failed test case (not only as a missed target).
    assert trial["passed"] is False and result["passed"] is False
    case = ET.parse(tmp_path / "latest" / "junit.xml").find(
        ".//testcase[@name='invariant: price column present']")
    assert case is not None and case.find("failure").get("type") == "InvariantFailed"
    assert case.find("failure").get("message") == "observed 0, expect 1"


def test_a_target_before_the_base_backup_fails_with_the_databases_reason(lab_images, tmp_path):
    # The base backup is taken as the trial starts; 5 minutes before the fault is long
    # before it, so no WAL in the archive can reach that instant.
    result = run(shortened(tmp_path, "5m before fault"), tmp_path / "early", exit_code=1)
    trial = result["trials"][0]
    failed = [e for e in events(trial, "step_failed") if e["step"] == "restore_pitr"]
    assert failed, [e["kind"] for e in trial["events"]]
    assert "before the end of the only base backup" in failed[0]["error"], failed[0]
    # Refused before anything was stopped: no phase ran.
    assert not events(trial, "pitr_phase")
    assert events(trial, "recovery_failed") and trial["ttr_s"] is None
