"""Failover to a streaming replica on the real engine (real Docker, PostgreSQL, Locust).

The primary is SIGKILLed and the runbook fails over to a *synchronous* replica,
twice in one run (the second trial runs on the lab put back together: old
primary back under its name, a fresh replica cloned from it): the app must
serve writes again through its unchanged connection string, chaos's own
connection must reach the new primary (the lost-writes query runs there), and
no acknowledged write may be lost. The seed incident "recovered" by failover
must stay broken: the replica replayed the half-applied migration. The lab,
replica and its volume included, must be gone afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaos.lab.resources import list_resources

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"


def shortened(tmp: Path, name: str, time_limit: str) -> Path:
    """A shipped scenario with its times cut down (as tests/e2e `shorten` does)."""
    source = SCENARIOS / name
    doc = yaml.safe_load(source.read_text())
    doc["lab"]["compose"] = str((source.parent / doc["lab"]["compose"]).resolve())
    doc["load"]["locustfile"] = str((source.parent / doc["load"]["locustfile"]).resolve())
    fault = doc["faults"][0]
    fault["at"] = "8s"
    if "script" in fault:
        fault["script"] = str(source.parent / fault["script"])
    doc["detect"] = [{"name": "errors", "type": "error_rate", "window": "3s", "above": "5%",
                      "for": "1s"}]
    doc["recovery"]["delay"] = "1s"
    doc["steady_state"] = {"error_rate": {"below": "1%", "for": "3s"}}
    doc["time_limit"] = time_limit
    path = tmp / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run(scenario: Path, out: Path, *args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "chaos", "run", str(scenario), "--out",
                           str(out), "--allow-outside-files", *args], capture_output=True,
                          text=True, timeout=300, cwd=REPO)
    assert (out / "result.json").exists(), proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads((out / "result.json").read_text())
    lab_id = result["lab"]["id"]
    left = list_resources(lab_id)
    assert lab_id and not any(left.values()), f"the lab was left behind: {left}"
    return result


def events(trial: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in trial["events"] if e["kind"] == kind]


def writes_acknowledged_after(out: Path, trial: int, wall: float) -> int:
    """Writes (requests with a write ref) that succeeded, started after ``wall``."""
    n = 0
    for f in (out / f"trial-{trial}" / "observations").glob("*.jsonl"):
        for line in f.read_text().splitlines():
            obs = json.loads(line)
            n += bool(obs.get("ok") and obs.get("ref") and obs["t"] > wall)
    return n


def test_synchronous_failover_serves_writes_again_and_loses_none(lab_images, tmp_path):
    out = tmp_path / "sync"
    result = run(shortened(tmp_path, "db-kill-failover-sync.yaml", "30s"), out,
                 "--trials", "2", "--keep-observations")
    trials = result["trials"]
    assert [t["status"] for t in trials] == ["completed", "completed"], result.get("notes")
    for trial in trials:
        n = trial["trial"]
        done = [e for e in events(trial, "step_done") if e["step"] == "failover"]
        assert done, [e for e in trial["events"] if "step" in e]
        step = done[0]
        assert set(step["phases_s"]) == {"fence", "promote", "move_alias", "reconnect"}
        assert {e["phase"] for e in events(trial, "failover_phase")} == set(step["phases_s"])
        assert step["sync_state"] == "sync" and step["promoted_lsn"]
        assert trial["ttr_s"] is not None and trial["ttr_s"] > 0, trial["end_reason"]
        # The app's unchanged connection string reaches the new primary: writes succeed.
        after = writes_acknowledged_after(out, n, datetime.fromisoformat(step["wall"]).timestamp())
        assert after > 20, f"trial {n}: {after} writes acknowledged after the failover"
        # chaos's own connection reached it too: the lost-writes query ran there.
        loss = trial["data_loss"]
        assert loss["acknowledged"] > 100 and loss["lost"] == 0, (n, loss)
        lag = events(trial, "replication_lag")
        streaming = [e for e in lag if e.get("standbys") == 1 and e.get("sync_state") == "sync"]
        assert streaming and all(e["lag_bytes"] is not None for e in streaming)
        t_fault = events(trial, "fault_applied")[0]["t"]
        # The killed primary cannot answer: samples are recorded with their error.
        assert any("error" in e and e["t"] > t_fault for e in lag), lag[-5:]
        assert any(e.get("standbys") == 0 and e["t"] > step["t"] for e in lag), lag[-5:]


def test_failover_does_not_undo_a_half_applied_update(lab_images, tmp_path):
    result = run(shortened(tmp_path, "half-applied-update-failover.yaml", "22s"),
                 tmp_path / "half")
    trial = result["trials"][0]
    step = [e for e in events(trial, "step_done") if e["step"] == "failover"][0]
    assert step["replayed_past_fault"] is True, step
    assert trial["invariants"] and not any(i["passed"] for i in trial["invariants"])
    assert trial["ttr_s"] is None
    postmortem = (tmp_path / "half" / "postmortem.md").read_text()
    assert "the replica had replayed the fault too" in postmortem
