"""Distributed load (a Locust master + 2 local workers) against a real lab:
every request the app answered is observed exactly once.

The app counts what it answered (GET /stats, by status). Its container
healthcheck also calls /health once a second, which the app would count too,
so this lab's copy of the compose file disables that healthcheck; readiness is
checked here instead, before the first count is taken.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import yaml

from chaos.lab.lab import Lab, LabSpec
from chaos.load.runner import LoadRunner, LoadSettings
from chaos.sample import COMPOSE_FILE as DEFAULT_COMPOSE
from tests import shop

pytestmark = pytest.mark.docker


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


def served(app_url: str) -> Counter[str]:
    return Counter(get_json(f"{app_url}/stats")["served"])


def compose_without_app_healthcheck(tmp: Path) -> Path:
    doc = yaml.safe_load(DEFAULT_COMPOSE.read_text())
    base = DEFAULT_COMPOSE.parent
    db = doc["services"]["db"]
    db["volumes"] = [v if not v.startswith("./") else str(base / v[2:]) for v in db["volumes"]]
    doc["services"]["app"]["healthcheck"] = {"disable": True}
    path = tmp / "docker-compose.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture
def quiet_lab(lab_images, tmp_path):
    lab = Lab.create(LabSpec(compose_file=str(compose_without_app_healthcheck(tmp_path))),
                     owner_pid=os.getpid())
    try:
        lab.up()
        deadline = time.monotonic() + 60
        while True:
            try:
                if get_json(f"{lab.app_url}/health") == {"status": "ok"}:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the app never answered /health")
            time.sleep(0.2)
        yield lab
    finally:
        lab.down()


def test_two_workers_observe_every_request_once(quiet_lab, tmp_path):
    url = quiet_lab.app_url
    before = served(url)        # its own 200 is counted after this snapshot
    load = LoadRunner(url, LoadSettings(locustfile=shop.LOCUSTFILE, users=6, spawn_rate=6,
                                        workers=2, run_time_s=60), tmp_path)
    load.start()
    observed = []
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            observed += load.poll()
            time.sleep(0.2)
    finally:
        load.stop()
    observed += load.poll()
    answered = served(url) - before
    answered["200"] -= 1        # the first /stats call

    # One stream, written by the master from what the workers sent over Locust's own
    # connection; each request says which worker sent it.
    per_host = Counter(o.host for o in observed)
    assert set(per_host) == {"local-1", "local-2"}, per_host   # both workers carried load
    hosts = {r.name: r.as_dict() for r in load.hosts.host_records(0.25)}
    for name, n in per_host.items():      # each said what it sent; all of it arrived
        assert hosts[name]["sent"] == hosts[name]["received"] == n, hosts[name]
        assert hosts[name]["missing_batches"] == 0
        assert abs(hosts[name]["offset_s"]) < 0.01      # the same host: the same clock
    by_status = Counter(str(o.status) for o in observed)
    assert "0" not in by_status, by_status          # a clean stop leaves nothing unanswered
    # Exact: SIGTERM to the master makes it stop every worker's users first (each
    # finishes the request in flight, --stop-timeout), then wait for their final batches.
    assert by_status == +answered, (by_status, answered)
    assert len(observed) > 100
