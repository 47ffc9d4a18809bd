"""SIGINT or SIGTERM mid-fault: the fault is reverted, the lab torn down, the record kept."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest
import yaml

from chaos.lab.engine import client
from tests import shop
from tests.e2e.conftest import CHAOS, REPO

pytestmark = pytest.mark.docker

PAUSED_DB = {
    "name": "database paused, interrupted",
    "lab": shop.lab(),
    "load": shop.load(5),
    "faults": [{"type": "pause", "target": "db", "at": "4s", "duration": "60s"}],
    "detect": [{"name": "errors", "type": "error_rate", "window": "5s", "above": "5%"}],
    "recovery": {"trigger": "none"},
    "time_limit": "90s",
}


def wait_for_event(path, kind: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text().splitlines():
                rec = json.loads(line)
                if rec.get("kind") == kind:
                    return rec
        time.sleep(0.2)
    raise AssertionError(f"no {kind} event within {timeout} s")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_fault_reverts_tears_down_and_keeps_record(tmp_path, lab_images, signum):
    scenario = tmp_path / "paused.yaml"
    scenario.write_text(yaml.safe_dump(PAUSED_DB))
    out = tmp_path / "run"
    proc = subprocess.Popen([*CHAOS, "run", str(scenario), "--out", str(out)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_event(out / "timeline.jsonl", "fault_applied", timeout=120)
        lab_id = json.loads((out / "result.json").read_text())["lab"]["id"]
        paused = client().containers.list(filters={"label": f"chaos.lab={lab_id}",
                                                   "status": "paused"})
        assert len(paused) == 1          # the fault really is in force
        proc.send_signal(signum)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, output[-2000:]

    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "aborted" and "interrupted" in result["abort_reason"]
    trial = result["trials"][0]
    assert trial["status"] == "aborted"
    kinds = [e["kind"] for e in trial["events"]]
    assert {"load_started", "fault_injected", "fault_applied", "fault_reverted"} <= set(kinds)
    assert kinds[-1] == "trial_ended"
    for kind in ("containers", "networks", "volumes"):
        found = getattr(client(), kind).list(filters={"label": f"chaos.lab={lab_id}"})
        assert found == [], kind
    paused = {"status": "paused", "label": f"chaos.lab={lab_id}"}
    assert client().containers.list(filters=paused) == []
