"""The user's own alerting when it breaks, on the real engine: the stack dies
mid-trial (the detector is reported blind from that instant and the trial still
completes; a scrape target that does not answer is named in the result), and a
rule file promtool rejects stops the run before any lab starts. These time
nothing, so they run beside the labs (tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from chaos.lab.engine import client
from tests.integration.test_alerting import REPO, events, run, scenario

pytestmark = pytest.mark.docker


def test_a_stack_that_dies_mid_trial_is_reported_blind_and_the_trial_goes_on(
        lab_images, observe_image, tmp_path):
    def kill_prometheus(out: Path) -> None:
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            timeline = out / "timeline.jsonl"
            if timeline.exists() and '"fault_injected"' in timeline.read_text():
                break
            time.sleep(0.2)
        lab_id = json.loads((out / "result.json").read_text())["lab"]["id"]
        for c in client().containers.list(filters={"label": f"chaos.lab={lab_id}"}):
            if c.labels.get("com.docker.compose.service") == "chaos-prometheus":
                c.kill()

    path = scenario(tmp_path, time_limit="30s")
    doc = yaml.safe_load(path.read_text())
    # a target that serves no metrics: Prometheus reports it down (up == 0)
    doc["observe"]["prometheus"]["targets"].append({"service": "db", "port": 5432})
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = run(path, tmp_path / "run", during=kill_prometheus)
    trial = result["trials"][0]
    assert trial["status"] == "completed", trial.get("notes")
    (blind,) = events(trial, "alert_blind")
    t_fault = events(trial, "fault_injected")[0]["t"]
    # why, as "ExceptionType: message": a refused connection, or (killed mid-answer)
    # RemoteDisconnected; which one depends on where the kill caught the read
    assert blind["t"] >= t_fault and re.match(r"^\w+: \S", blind["reason"]), blind["reason"]
    notes = " ".join(trial["notes"])
    assert f"was blind from t={blind['t']:.1f} s" in notes
    assert "could not scrape db" in notes, notes
    assert trial["detectors"][0]["alert"]["blind"][0]["to_t"] is None   # never came back
    assert "blind from" in (tmp_path / "run" / "postmortem.md").read_text()


def broken_rules(tmp_path: Path, alert: str) -> tuple[Path, Path]:
    """A rule file whose PromQL promtool rejects (line 5), and a scenario loading it whose
    detector follows ``alert``."""
    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n  - name: g\n    rules:\n      - alert: Broken\n"
                   "        expr: sum(rate(http_requests_total[5m]) > \n")
    path = scenario(tmp_path)
    doc = yaml.safe_load(path.read_text())
    doc["observe"]["prometheus"]["rule_files"] = [str(bad)]
    doc["detect"][0]["alert"] = alert
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return bad, path


def test_a_rule_file_promtool_rejects_stops_the_run_before_any_lab(lab_images, observe_image,
                                                                   tmp_path):
    bad, path = broken_rules(tmp_path, alert="Broken")
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "r")]):
        proc = subprocess.run([sys.executable, "-m", "chaos", *command, "--allow-outside-files"],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert f"{bad}:5: promtool check rules:" in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "r" / "result.json").exists()     # nothing started


def test_schema_and_promtool_problems_are_reported_together(lab_images, observe_image,
                                                            tmp_path):
    bad, path = broken_rules(tmp_path, alert="Brokn")     # a schema error beside it
    detect_line = next(i for i, line in enumerate(path.read_text().splitlines(), 1)
                       if "Brokn" in line)
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "r")]):
        proc = subprocess.run([sys.executable, "-m", "chaos", *command, "--allow-outside-files"],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 2, out
        assert f"{path}:{detect_line}: detect[0].alert: no rule file defines alert 'Brokn'" \
            in out, out
        assert "did you mean 'Broken'" in out, out
        assert f"{bad}:5: promtool check rules:" in out, out
        assert "Traceback" not in out
    assert not (tmp_path / "r" / "result.json").exists()     # nothing started
