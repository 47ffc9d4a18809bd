"""Before any fault: a load that does not fit the app stops the trial (exit 3, nothing
injected); a detector already firing is reset and must fire again; lost writes a
scenario cannot measure are "not measured", never 0. Real Docker, the sample shop."""

from __future__ import annotations

import json

import pytest
import yaml

from chaos.lab.resources import list_resources
from tests import shop
from tests.e2e.conftest import load_result, run_chaos

pytestmark = pytest.mark.docker

EMPTY = {"containers": [], "networks": [], "volumes": []}


def base(**extra) -> dict:
    doc = {
        "name": "baseline test",
        "lab": {"compose": str(shop.COMPOSE), "health_path": "/health"},
        "load": shop.load(5),
        "faults": [{"type": "pause", "target": "db", "at": "8s", "duration": "4s"}],
        "recovery": {"trigger": "none"},
        "steady_state": {"error_rate": {"below": "1%", "for": "2s"}},
        "time_limit": "40s",
    }
    doc.update(extra)
    return doc


def timeline(out) -> list[dict]:
    return [json.loads(line) for line in (out / "timeline.jsonl").read_text().splitlines()]


def test_a_load_that_does_not_fit_the_app_stops_before_any_fault(tmp_path, lab_images):
    doc = base(load={"users": 5, "spawn_rate": 5,
                     "requests": [{"name": "GET /accounts/[id]", "path": "/accounts/{int:1:9}"}]},
               detect=[{"name": "errors", "type": "error_rate", "window": "2s", "above": "5%"}])
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    out = tmp_path / "run"
    done = run_chaos("run", str(tmp_path / "s.yaml"), "--out", str(out), timeout=240)
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    message = done.stderr + done.stdout
    assert "100% of requests failed before any fault" in message
    assert "HTTP 404 on GET /accounts/[id]" in message and "does the load fit this app?" in message
    kinds = [e["kind"] for e in timeline(out)]
    assert "baseline_failed" in kinds
    assert "fault_injected" not in kinds and "fault_applied" not in kinds   # nothing was done
    result = load_result(out).as_dict()
    assert result["status"] == "aborted" and "before injecting anything" in result["abort_reason"]
    (trial,) = result["trials"]
    assert trial["end_reason"] == "baseline_failed" and trial["ttd_s"] is None
    assert list_resources(result["lab"]["id"]) == EMPTY


def test_a_pre_fault_alarm_is_reset_and_unmeasurable_loss_is_said(tmp_path, lab_images):
    # The probe's path does not exist: it fails from the start and fires before the fault.
    every, failures = 0.5, 3
    doc = base(detect=[{"name": "wrong probe", "type": "http", "path": "/no-such-page",
                        "every": f"{every}s", "failures": failures}],
               data_loss={"query": "SELECT no_such_column FROM orders "
                                   "WHERE client_ref::text = ANY(%(refs)s)"},
               targets={"data_loss": 0})
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    out = tmp_path / "run"
    done = run_chaos("run", str(tmp_path / "s.yaml"), "--out", str(out), timeout=240)
    # the data_loss target depends on a query that failed: our failure, exit 3
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    (trial,) = load_result(out).as_dict()["trials"]
    events = timeline(out)
    t_fault = next(e["t"] for e in events if e["kind"] == "fault_injected")
    fired = [e["t"] for e in events if e["kind"] == "detector_fired"]
    assert any(t < t_fault for t in fired), fired         # the false alarm is on record
    after = [t for t in fired if t >= t_fault]
    assert after, fired
    # It went through pending -> firing again: `failures` probes after the fault, at the
    # earliest (failures - 1) intervals after the first; never at the fault instant.
    assert after[0] - t_fault >= (failures - 1) * every - 0.1
    assert trial["ttd_s"] == pytest.approx(after[0] - t_fault, abs=0.01) and trial["ttd_s"] > 0
    assert trial["data_loss"] is None
    assert trial["data_loss_note"].startswith("not measured: ") and "no_such_column" in \
        trial["data_loss_note"]
    (target,) = [t for t in trial["targets"] if t["metric"] == "data_loss"]
    assert target["passed"] is False and "no_such_column" in target["note"]
    assert "not measured" in (out / "postmortem.md").read_text()
