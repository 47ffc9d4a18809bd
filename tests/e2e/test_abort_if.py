"""A stop condition on real Docker: the trial ends early, reverts, runs `always` steps."""

from __future__ import annotations

import pytest
import yaml

from chaos.lab.resources import list_resources
from tests import shop
from tests.e2e.conftest import load_result, run_chaos

pytestmark = pytest.mark.docker

ABORTING = {
    "name": "database paused, aborted by a stop condition",
    "lab": shop.lab(),
    "load": shop.load(10),
    "faults": [{"type": "pause", "target": "db", "at": "4s", "duration": "60s"}],
    "detect": [{"name": "errors", "type": "error_rate", "window": "3s", "above": "50%"}],
    # The runbook would only start a minute after detection: the stop condition
    # comes first, and only the step marked `always` runs.
    "recovery": {"trigger": "on_detect", "delay": "60s",
                 "steps": [{"wait": {"duration": "5s"}},
                           {"wait": {"duration": "200ms", "always": True}}]},
    "abort_if": [{"metric": "error_rate", "above": "50%", "for": "2s"}],
    "time_limit": "80s",
}


def test_stop_condition_aborts_the_trial_and_reverts(tmp_path, lab_images):
    scenario = tmp_path / "aborting.yaml"
    scenario.write_text(yaml.safe_dump(ABORTING))
    out = tmp_path / "run"
    proc = run_chaos("run", str(scenario), "--out", str(out))
    result = load_result(out).as_dict()
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    trial = result["trials"][0]
    assert trial["status"] == "aborted"
    assert trial["end_reason"].startswith("aborted:") and "error_rate" in trial["end_reason"]
    events = trial["events"]
    kinds = [e["kind"] for e in events]
    assert {"abort_condition", "fault_reverted", "trial_ended"} <= set(kinds)
    fault_t = next(e["t"] for e in events if e["kind"] == "fault_injected")
    abort_t = next(e["t"] for e in events if e["kind"] == "abort_condition")
    assert abort_t - fault_t < 30          # long before the 60 s pause would have ended
    steps_run = [e for e in events if e["kind"] == "step_done"]
    assert [e["index"] for e in steps_run] == [1]   # only the `always` step
    assert result["passed"] is False
    assert list_resources(result["lab"]["id"]) == {"containers": [], "networks": [], "volumes": []}
