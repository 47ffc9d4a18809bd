"""A system that fails without a single HTTP error, end to end on real Docker: the queue
example's worker is stopped, every POST still answers 202, and only the backlog shows
the outage. Impact comes from the SQL and the PromQL indicators, checked against the
physics (the backlog passes 100 when the 100th message acknowledged after the worker
stopped was answered: the raw request stream says when); the trial runs until the
backlog has drained; the alert split adds up to the TTD."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaos.lab.resources import list_resources
from tests.e2e.conftest import REPO, load_result, run_chaos

pytestmark = pytest.mark.docker

QUEUE = REPO / "examples" / "queue"
SQL_EVERY_S = 1.0
SCRAPE_S = 2.0
PROM_EVERY_S = SCRAPE_S   # a promql indicator is read once a scrape interval by default
SLACK_S = 0.5          # scheduling on a loaded 2-core machine


def shortened(tmp: Path, name: str = "scenario.yaml", **changes: Any) -> Path:
    """The example's scenario with a 40 s outage at 15 s, paths made absolute."""
    doc = yaml.safe_load((QUEUE / name).read_text())
    doc["lab"]["compose"] = str(QUEUE / doc["lab"]["compose"])
    doc["load"]["locustfile"] = str(QUEUE / doc["load"]["locustfile"])
    prom = doc["observe"]["prometheus"]
    prom["rule_files"] = [str(QUEUE / f) for f in prom["rule_files"]]
    prom["alertmanager"]["config"] = str(QUEUE / prom["alertmanager"]["config"])
    doc["faults"][0].update(at="15s", duration="40s")
    doc["time_limit"] = "100s"
    doc.update(changes)
    path = tmp / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def trial_wall0(trial: dict[str, Any]) -> float:
    """The wall-clock instant of the trial clock's zero, from any event."""
    e = trial["events"][0]
    return datetime.fromisoformat(e["wall"]).timestamp() - e["t"]


def acked_write_times(obs_dir: Path, wall0: float) -> list[float]:
    """Answer times (trial clock) of every acknowledged write, sorted."""
    times = []
    for path in obs_dir.glob("observations.jsonl"):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("ref") is not None and rec["ok"]:
                times.append(rec["t"] + rec["ms"] / 1000 - wall0)   # answer time
    return sorted(times)


def event(trial: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e for e in trial["events"] if e["kind"] == kind)


def test_a_stopped_worker_is_impact_measured_by_the_systems_own_indicators(tmp_path,
                                                                          lab_images):
    out = tmp_path / "run"
    done = run_chaos("run", str(shortened(tmp_path)), "--out", str(out), "--keep-observations",
                     "--allow-outside-files",
                     timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    result = load_result(out).as_dict()
    lab_id = result["lab"]["id"]
    (trial,) = result["trials"]
    assert trial["failed_requests"] == 0          # not one request failed ...
    assert trial["impact"] is True                # ... and still an outage
    ind = {i["name"]: i for i in trial["indicators"]}
    assert ind["errors"]["breached"] is False
    assert trial["impact_by"] in ("backlog", "backlog (metrics)")

    # The physics: the worker stopped at effective_t; the backlog (about 0 in steady
    # state) reaches 100 when the 100th write acknowledged after that was answered.
    stopped = event(trial, "fault_applied")["effective_t"]
    writes = [t for t in acked_write_times(out / "trial-1" / "observations", trial_wall0(trial))
              if t > stopped]
    crossing = writes[99]
    rate = 100 / (crossing - stopped)
    sql_t, prom_t = ind["backlog"]["first_out_t"], ind["backlog (metrics)"]["first_out_t"]
    print(f"\nqueue: stopped {stopped:.2f}, rate {rate:.1f}/s, 100th write {crossing:.2f}, "
          f"sql impact {sql_t:.2f}, promql impact {prom_t:.2f}")
    assert 15 <= rate <= 25, rate
    assert crossing - SLACK_S <= sql_t <= crossing + SQL_EVERY_S + SLACK_S
    # The crossing reaches Prometheus at its next scrape (up to 2 s), and chaos's own
    # reading of the query comes on its own cadence after that (up to 2 s more).
    assert crossing - SLACK_S <= prom_t <= crossing + SCRAPE_S + PROM_EVERY_S + SLACK_S
    assert trial["tti_s"] == pytest.approx(min(sql_t, prom_t) - event(trial, "fault_injected")["t"],
                                           abs=0.01)
    # the worst backlog is what 40 s of writes piled up
    assert ind["backlog"]["worst"] == pytest.approx(rate * 40, rel=0.15)

    # The trial does not end at the revert: the backlog drains, then holds 10 s.
    reverted = event(trial, "fault_reverted")["t"]
    drained = ind["backlog"]["back_inside_t"]
    mitigated, recovered = event(trial, "mitigated")["t"], event(trial, "recovered")["t"]
    assert reverted < drained <= mitigated < recovered
    assert recovered == pytest.approx(mitigated + 10.0, abs=0.01)
    assert trial["end_reason"] == "recovered"
    assert event(trial, "trial_ended")["t"] >= recovered

    # The alert's split adds up to its TTD, starting at the indicators' impact.
    (page,) = [d for d in trial["detectors"] if d["name"] == "page"]
    alert = page["alert"]
    split = alert["split_s"]
    assert list(split) == ["fault_to_impact", "impact_to_pending", "pending_to_firing",
                           "firing_to_notified"]
    assert sum(split.values()) == pytest.approx(alert["ttd_s"], abs=0.005)
    assert alert["ttd_s"] == pytest.approx(trial["ttd_s"], abs=0.005)
    assert split["pending_to_firing"] == pytest.approx(20.0, abs=SCRAPE_S + SLACK_S)
    assert split["firing_to_notified"] == pytest.approx(10.0, abs=1.0)   # the sub-route's wait
    assert trial["data_loss"]["lost"] == 0 and trial["passed"] is True
    postmortem = (out / "postmortem.md").read_text()
    assert "- **Indicators:** backlog (sql, below 100) outside from fault +" in postmortem
    assert (out / "indicators.png").stat().st_size > 10_000
    assert list_resources(lab_id) == {"containers": [], "networks": [], "volumes": []}
