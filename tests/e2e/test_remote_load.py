"""Load from three other hosts (issue #27): worker containers with addresses of their own
join a `chaos run` over Locust's own master connection; one host's clock is 2 s ahead
(libfaketime), one host is killed mid-trial.

What must hold: every host is in the record with its address and Locust version; the
skewed host's offset is measured (2 s) and taken out of its requests, so the database
pause is seen at the same instant from every host and TTM is as on one host; the killed
host is named with its last instant and what it had in flight, the trial completes, and
the requests add up against the app's own count (by status, from its /metrics).
"""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.request
from collections import Counter
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from chaos.lab.engine import client
from chaos.measure.observation import OBS_FILE, read_observations
from tests import shop
from tests.e2e.conftest import load_result, run_chaos
from tests.e2e.test_gameday import Run
from tests.loadhosts import LoadHosts

pytestmark = pytest.mark.docker

PAUSE = 8.0
REQUEST_TIMEOUT = 5.0
APP_ROUTES = ("/orders", "/products/{id}")     # what the shop's locustfile sends


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def scenario(master: str) -> dict:
    return {
        "name": "remote load, database paused",
        "lab": shop.lab(),
        "load": {**shop.load(9), "remote": {
            "master": master, "workers": ["gen-a", "gen-b", "gen-c"],
            "app_url": "http://app:8080", "join_timeout": "180s"}},
        "data_loss": shop.DATA_LOSS,
        "faults": [{"type": "pause", "target": "db", "at": "12s", "duration": f"{PAUSE}s"}],
        "detect": [{"name": "errors", "type": "error_rate", "window": "2s", "above": "5%",
                    "for": "1s"}],
        "recovery": {"trigger": "none"},
        "steady_state": {"error_rate": {"below": "1%", "for": "3s"}},
        "time_limit": "45s",
    }


def timeline(out: Path) -> list[dict]:
    path = out / "timeline.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def app_counts(lab_id: str) -> Counter[str]:
    """What the app answered to the load, by status, from its own metrics."""
    (app,) = client().containers.list(filters={"label": [f"chaos.lab={lab_id}",
                                                         "com.docker.compose.service=app"]})
    port = app.ports["8080/tcp"][0]["HostPort"]
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    counts: Counter[str] = Counter()
    for m in re.finditer(r'^http_requests_total\{(.*)\} ([0-9.e+]+)$', text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if labels.get("route") in APP_ROUTES:
            counts[labels["code"]] += int(float(m.group(2)))
    return counts


def longest_silence(observed: list, host: str) -> tuple[float, float]:
    """The longest stretch without a successful answer to ``host`` (its edges)."""
    ends = sorted(o.end for o in observed if o.host == host and o.ok)
    return max(zip(ends, ends[1:], strict=False), key=lambda p: p[1] - p[0])


def test_three_remote_hosts_a_skewed_clock_and_a_lost_host(tmp_path, lab_images,
                                                          loadworker_image, lab_cleanup):
    out = tmp_path / "run"
    with LoadHosts(client()) as hosts:
        master = f"{hosts.gateway}:{free_port(hosts.gateway)}"
        path = tmp_path / "remote.yaml"
        path.write_text(yaml.safe_dump(scenario(master), sort_keys=False))
        run = Run(str(path), "--out", str(out), "--allow-outside-files", "--keep-observations",
                  "--keep-lab")
        try:
            run.wait_line(r"warning: the Locust master will listen on " + re.escape(master))
            deadline = time.monotonic() + 300
            while not (out / "result.json").exists() or not load_result(out).lab:
                assert time.monotonic() < deadline and run.proc.poll() is None, run.lines[-30:]
                time.sleep(0.5)
            lab_id = load_result(out).lab.id
            lab_cleanup.append(lab_id)
            (lab_net,) = client().networks.list(filters={"label": f"chaos.lab={lab_id}"})
            host, port = master.rsplit(":", 1)
            hosts.start("gen-a", host, int(port), networks=[lab_net.name])
            hosts.start("gen-b", host, int(port), faketime="+2s", networks=[lab_net.name])
            hosts.start("gen-c", host, int(port), networks=[lab_net.name])
            while sum(e["kind"] == "load_host_joined" for e in timeline(out)) < 3:
                assert time.monotonic() < deadline and run.proc.poll() is None, run.lines[-30:]
                time.sleep(0.2)
            time.sleep(4)
            hosts.kill("gen-c")          # mid-trial, before the fault
            code = run.proc.wait(timeout=240)
        finally:
            run.stop()
        assert code in (0, 1), "\n".join(run.lines[-40:])

        record = load_result(out).as_dict()
        trial = record["trials"][0]
        assert trial["status"] == "completed", trial.get("notes")
        by_name = {h["name"]: h for h in trial["load_hosts"]}
        assert set(by_name) == {"gen-a", "gen-b", "gen-c"}
        addresses = {h["address"] for h in by_name.values()}
        assert len(addresses) == 3 and all(a.startswith(host.rsplit(".", 1)[0]) for a in addresses)
        assert {h["locust"] for h in by_name.values()} == {version("locust")}  # the image's

        # The clock: gen-b's 2 s measured, tightly; the others on this host's time.
        assert by_name["gen-b"]["offset_s"] == pytest.approx(2.0, abs=0.05)
        assert abs(by_name["gen-a"]["offset_s"]) < 0.05
        assert all(h["offset_uncertainty_s"] < 0.05 for h in by_name.values())
        assert not any(h["uncertain"] for h in by_name.values())

        # The lost host: named, when, with what in flight; the trial went on.
        c = by_name["gen-c"]
        assert c["lost"] and c["lost_at"] is not None and c["in_flight_at_loss"] is not None
        lost = [e for e in trial["events"] if e["kind"] == "load_host_lost"]
        assert [e["host"] for e in lost] == ["gen-c"]
        assert any("load host gen-c was lost" in n for n in trial["notes"])
        # Its users went to the others (rebalancing): the load kept its 9 users.
        assert by_name["gen-a"]["users"] + by_name["gen-b"]["users"] == 9, by_name
        for name in ("gen-a", "gen-b"):   # every batch of the others arrived
            assert by_name[name]["sent"] == by_name[name]["received"] > 0, by_name[name]
            assert by_name[name]["missing_batches"] == 0

        # The pause seen at one instant from every host: no answer succeeds while the
        # database is frozen, so each host's longest silence between successes starts at
        # the injection and ends at the thaw; uncorrected, gen-b's would be 2 s late.
        observed = read_observations(out / "trial-1" / "observations" / OBS_FILE)
        wall = {e["kind"]: datetime.fromisoformat(e["wall"]).timestamp()
                for e in trial["events"] if e["kind"] in ("fault_injected", "fault_reverted")}
        for name in ("gen-a", "gen-b"):
            start, end = longest_silence(observed, name)
            assert abs(start - wall["fault_injected"]) < 0.5, (name, start, wall)
            assert abs(end - wall["fault_reverted"]) < 0.5, (name, end, wall)
        assert PAUSE - 1 <= trial["ttm_s"] <= PAUSE + REQUEST_TIMEOUT, trial["ttm_s"]

        # The counts add up: nothing observed that the app did not answer; what it
        # answered beyond what was observed is at most what the lost host had in flight or
        # answered after its last batch (twice the record's estimate: a rate, not a count)
        # and the requests whose answers came after their client gave up (status 0).
        answered = app_counts(lab_id)
        seen = Counter(str(o.status) for o in observed if not o.orphan)
        for status, n in seen.items():
            if status != "0":
                assert n <= answered[status], (status, seen, answered)
        extra = sum(answered.values()) - sum(n for s, n in seen.items() if s != "0")
        bound = c["in_flight_at_loss"] + 2 * c["unreported_estimate"] + 1 + seen["0"]
        assert 0 <= extra <= bound, (extra, seen, answered, c)
        orphans = [o for o in observed if o.orphan]
        assert len(orphans) == c["unknown_writes"] and all(o.host == "gen-c" and o.write
                                                           for o in orphans)
        assert trial["data_loss"] is None or trial["data_loss"]["lost"] == 0

    report = run_chaos("report", str(out))
    assert "Traceback" not in report.stderr + report.stdout
