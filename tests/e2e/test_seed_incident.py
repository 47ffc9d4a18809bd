"""The seed incident end to end on real Docker, PostgreSQL and Locust, shortened."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from chaos.lab.lab import Lab
from chaos.lab.resources import list_resources
from tests.e2e.conftest import load_result, run_chaos, shorten

pytestmark = pytest.mark.docker


def acknowledged_refs(obs_dir: Path) -> set[str]:
    refs = set()
    for path in obs_dir.glob("observations.jsonl"):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("ref") is not None and rec["ok"]:   # a write, acknowledged
                refs.add(rec["ref"])
    return refs


def test_seed_incident_measures_detection_recovery_and_lost_writes(tmp_path, lab_images,
                                                                   lab_cleanup):
    scenario, doc = shorten("half-applied-update.yaml", tmp_path)
    out = tmp_path / "run"
    proc = run_chaos("run", str(scenario), "--out", str(out), "--keep-lab", "--keep-observations")
    result = load_result(out).as_dict()
    lab_cleanup.append(result["lab"]["id"])
    assert proc.returncode == (0 if result["passed"] else 1), proc.stderr[-2000:]
    trial = result["trials"][0]
    assert trial["status"] == "completed" and trial["end_reason"] == "recovered"

    # Bounds derived from the scenario's own settings (5 s window, for 2 s,
    # 5 s reaction delay, steady state 5 s): the rule cannot fire before its
    # `for`, and errors are 100% at once, so it fires well within a window.
    hold, delay, steady = 2.0, 5.0, 5.0
    assert hold <= trial["ttd_s"] <= hold + 2.0
    assert trial["detected_by"] == "user-facing errors"
    assert trial["tta_s"] == pytest.approx(delay, abs=0.3)
    assert trial["ttm_s"] >= trial["ttd_s"] + delay          # nothing heals before the restore
    assert trial["ttr_s"] == pytest.approx(trial["ttm_s"] + steady, abs=0.01)
    assert trial["ttr_s"] <= trial["ttd_s"] + delay + 15 + steady
    assert trial["failed_requests"] > 0 and trial["outage_s"] > 0

    # Lost writes recounted independently: acknowledged ids from the raw
    # stream, presence read straight from the database the run left up.
    acked = acknowledged_refs(out / "trial-1" / "observations")
    lab = Lab.load(result["lab"]["id"])
    with psycopg.connect(lab.db_dsn, connect_timeout=10) as conn:
        present = {r[0] for r in conn.execute(
            "SELECT client_ref::text FROM orders WHERE client_ref = ANY(%s::uuid[])",
            (list(acked),)).fetchall()}
    lost = acked - present
    assert trial["data_loss"]["acknowledged"] == len(acked)
    assert trial["data_loss"]["lost"] == len(lost)
    assert len(lost) > 0   # the newest backup was up to 10 s older than the fault
    assert 0 < trial["rpo_s"] <= 10.5 + 1

    data_loss_target = next(t for t in result["targets"] if t["metric"] == "data_loss")
    assert data_loss_target["passed"] is False and proc.returncode == 1
    assert trial["invariants"], "the scenario's invariant was not checked"
    assert all(inv["passed"] for inv in trial["invariants"]), trial["invariants"]

    kinds = [e["kind"] for e in trial["events"]]
    for kind in ("backup_taken", "fault_injected", "detector_fired", "recovery_started",
                 "step_done", "mitigated", "recovered"):
        assert kind in kinds
    first = {k: next(e["t"] for e in trial["events"] if e["kind"] == k)
             for k in ("fault_injected", "detector_fired", "recovery_started", "mitigated",
                       "recovered")}
    assert list(first.values()) == sorted(first.values()), first

    postmortem = (out / "postmortem.md").read_text()
    headings = ["Issue Summary", "Timeline", "Root Cause", "Resolution and Recovery",
                "Corrective and Preventive Measures"]
    positions = [postmortem.find(h) for h in headings]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


def test_transactional_migration_has_no_impact(tmp_path, lab_images):
    scenario, _ = shorten("half-applied-update-transactional.yaml", tmp_path)
    out = tmp_path / "run"
    proc = run_chaos("run", str(scenario), "--out", str(out))
    result = load_result(out).as_dict()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    trial = result["trials"][0]
    assert trial["end_reason"] == "no_impact" and trial["impact"] is False
    fault_t = next(e["t"] for e in trial["events"] if e["kind"] == "fault_injected")
    applied = next(e for e in trial["events"] if e["kind"] == "fault_applied")
    assert applied["died_at"] == 4 and applied["applied"] == 0   # rolled back
    assert trial["ttd_s"] is None and trial["ttr_s"] is None
    assert trial["data_loss"]["lost"] == 0
    assert trial["invariants"], "the scenario's invariant was not checked"
    assert all(inv["passed"] for inv in trial["invariants"]), trial["invariants"]
    assert result["passed"] is True
    assert list_resources(result["lab"]["id"]) == {"containers": [], "networks": [], "volumes": []}
    assert fault_t > 0
