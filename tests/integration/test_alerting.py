"""The user's own alerting in the lab, on the real engine: Prometheus scraping the
sample app, a rule file loaded unchanged, Alertmanager paging chaos's receiver.

The database is killed; the ``prometheus_alert`` detector must record pending,
firing and notified in that order, each measured against its source (Prometheus's
``activeAt``, the group's evaluation ticks, the notification's arrival), and the
TTD split must add up to the TTD. Then the stack itself fails mid-trial: the
detector is reported blind from that instant, the trial still completes, and a
scrape target that does not answer is named in the result.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaos.lab.resources import list_resources
from tests import shop

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "alerting"


def scenario(tmp: Path, **extra: Any) -> Path:
    doc: dict[str, Any] = {
        "name": "alerting on the real stack",
        "lab": shop.lab(),
        "load": shop.load(5),
        "faults": [{"type": "kill", "target": "db", "at": "12s", "signal": "SIGKILL"}],
        "observe": {"prometheus": {
            "scrape_interval": "1s", "evaluation_interval": "1s",
            "targets": [{"service": "app", "port": 8080, "path": "/metrics"}],
            "rule_files": [str(DATA / "fast.yml")],
            "alertmanager": {"config": str(DATA / "alertmanager.yml")}}},
        "detect": [{"name": "page", "type": "prometheus_alert", "alert": "TestErrorsFast"}],
        "recovery": {"trigger": "none"},
        "time_limit": "40s",
        **extra,
    }
    path = tmp / "alerting.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run(path: Path, out: Path, during: Any = None) -> dict[str, Any]:
    proc = subprocess.Popen([sys.executable, "-m", "chaos", "run", str(path), "--out", str(out),
                             "--allow-outside-files"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if during is not None:
        threading.Thread(target=during, args=(out,), daemon=True).start()
    output, _ = proc.communicate(timeout=300)
    assert (out / "result.json").exists(), output
    result: dict[str, Any] = json.loads((out / "result.json").read_text())
    assert "Traceback" not in output, output[-3000:]
    left = list_resources(result["lab"]["id"])
    assert not any(left.values()), f"the lab was left behind: {left}"
    return result


def events(trial: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in trial["events"] if e["kind"] == kind]


def test_pending_firing_notified_each_against_its_source(lab_images, observe_image, tmp_path):
    # the database comes back at 26 s: the errors stop and the alert resolves
    result = run(scenario(tmp_path, recovery={"trigger": "at", "at": "26s",
                                              "steps": [{"restart": "db"}]},
                          steady_state={"error_rate": {"below": "1%", "for": "15s"}},
                          time_limit="60s"), tmp_path / "run")
    trial = result["trials"][0]
    assert trial["status"] == "completed", trial.get("notes")
    (d,) = trial["detectors"]
    alert = d["alert"]
    t_fault = events(trial, "fault_injected")[0]["t"]
    assert t_fault < alert["pending_t"] < alert["firing_t"] < alert["notified_t"], alert
    # firing is the first evaluation tick (every 1 s) at or after activeAt + for (3 s)
    assert 3.0 <= alert["firing_t"] - alert["pending_t"] < 4.1, alert
    # ... and Prometheus's own view of it (the notification's startsAt) agrees
    notified = events(trial, "alert_notified")[0]
    assert abs(notified["starts_at_t"] - alert["firing_t"]) < 0.05, (notified, alert)
    assert notified["receiver"] == "oncall"      # the user's route, our webhook
    # the page's route waits 1 s (the top route 20 s): it arrives about 1 s after firing,
    # and the record quotes the route Alertmanager's own routing says it took
    assert 0.5 < alert["notified_t"] - alert["firing_t"] < 3.0, alert
    assert alert["route"]["path"] == "route.routes[0]" and alert["route"]["verified"], alert
    # the split adds up to the TTD, and the TTD is the page's arrival
    split = alert["split_s"]
    assert None not in split.values(), split
    assert abs(sum(split.values()) - alert["ttd_s"]) < 0.05, alert
    assert trial["ttd_s"] == pytest.approx(alert["notified_t"] - t_fault, abs=0.002)
    assert d["fired_t"] == alert["notified_t"]
    assert alert["for_s"] == 3 and alert["group_wait"] == "1s"
    # alerting's view of the recovery: a resolved notification, after the errors stopped
    resolved = events(trial, "alert_resolved")
    assert resolved, [e["kind"] for e in trial["events"]]
    assert alert["resolved_t"] > events(trial, "mitigated")[0]["t"] > alert["notified_t"]
    assert alert["resolved_s"] == pytest.approx(alert["resolved_t"] - t_fault, abs=0.002)
    # the rule's expression over the trial, for the report's picture
    (expr,) = events(trial, "alert_expression")
    assert expr["threshold"] == 0.2 and expr["series"] and len(expr["series"][0]) > 10
    out = tmp_path / "run"
    assert (out / "alert.png").stat().st_size > 10_000
    text = (out / "postmortem.md").read_text()
    assert "Alerting, as the real rules saw it" in text and "TestErrorsFast" in text
    assert "alert.png" in text
