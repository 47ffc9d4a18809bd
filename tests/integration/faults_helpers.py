"""A shared lab and a short-trial runner for the fault tests (real Docker)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import psycopg
import yaml

from chaos.faults.network import proxy_call
from chaos.lab.engine import client
from chaos.lab.features.dbdisk import SmallDisk
from chaos.lab.features.dbproxy import FaultProxy
from chaos.lab.lab import Lab, LabSpec
from chaos.lab.resources import wait_healthy
from chaos.measure import metrics
from chaos.measure.timeline import Clock, Timeline
from chaos.recover.backups import BackupStore
from chaos.recover.reset import settle_app
from chaos.scenario import load_scenario
from chaos.trial import Trial, TrialContext
from tests import shop

# Short trial settings; the tolerances in the tests are derived from these.
WINDOW, HOLD, STEADY = 2.0, 1.0, 3.0


def scenario_doc(faults: list[dict], **extra: Any) -> dict[str, Any]:
    doc = {
        "name": "fault test",
        "lab": shop.lab(),
        "load": shop.load(10),
        "data_loss": shop.DATA_LOSS,
        "faults": faults,
        "detect": [{"name": "errors", "type": "error_rate", "window": f"{WINDOW}s",
                    "above": "5%", "for": f"{HOLD}s"},
                   {"name": "slow", "type": "latency", "window": f"{WINDOW}s",
                    "above": "800ms", "for": f"{HOLD}s"}],
        "recovery": {"trigger": "none"},
        "steady_state": {"error_rate": {"below": "1%", "for": f"{STEADY}s"}},
        "time_limit": "40s",
    }
    doc.update(extra)
    return doc


def run_trial(lab: Lab, doc: dict[str, Any], tmp: Path, on_tick=None) -> dict[str, Any]:
    # The module's tests share one lab: the previous test may have killed or restarted
    # the database. Start each trial as a run starts one after a reset: the lab healthy,
    # the app's pool settled (else the baseline fails, rightly, and nothing is tested).
    wait_healthy(lab.id, timeout=120)
    settle_app(lab.app_url + "/health")
    path = tmp / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    scenario = load_scenario(path)
    clock = Clock()
    timeline = Timeline(clock, tmp / "timeline.jsonl", trial=1)
    ctx = TrialContext(scenario=scenario, lab=lab, clock=clock, timeline=timeline,
                       backups=BackupStore(lab), app_url=lab.app_url, db_dsn=lab.db_dsn,
                       workdir=tmp / "trial")
    trial = Trial(ctx, on_tick=on_tick)
    state = trial.run()
    timeline.close()
    m = metrics.compute(timeline.events, state.counts).as_dict()
    return {"state": state, "events": list(timeline.events), "trial": trial, **m}


def start_lab() -> Lab:
    # Every optional wiring, so that every fault can run: the proxy and the small disk.
    lab = Lab.create(LabSpec(features=(FaultProxy(), SmallDisk("32m"))), owner_pid=os.getpid())
    try:
        lab.up()
    except BaseException:
        lab.down()
        raise
    return lab


def lab_is_clean(lab: Lab) -> list[str]:
    """Everything a fault could leave behind; empty when the lab is as it was."""
    problems = []
    wait_healthy(lab.id, timeout=60)
    for c in client().containers.list(all=True, filters={"label": f"chaos.lab={lab.id}"}):
        if c.status != "running":
            problems.append(f"{c.name} is {c.status}")
        if "com.docker.compose.service" not in c.labels:
            problems.append(f"helper container {c.name} left behind")
    toxics = proxy_call(lab, "GET", "/toxics")["toxics"]
    if toxics:
        problems.append(f"toxics left: {toxics}")
    deadline = time.monotonic() + 10
    while True:
        with psycopg.connect(lab.db_dsn, autocommit=True, connect_timeout=5) as conn:
            ours = conn.execute("SELECT count(*) FROM pg_stat_activity"
                                " WHERE application_name LIKE 'chaos-fault%'").fetchone()[0]
            locks = conn.execute("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a"
                                 " USING (pid) WHERE a.application_name LIKE 'chaos-fault%'"
                                 ).fetchone()[0]
        if (ours == 0 and locks == 0) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if ours or locks:
        problems.append(f"{ours} sessions of ours, {locks} locks of ours")
    return problems
