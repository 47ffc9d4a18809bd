"""`chaos worker --master HOST:PORT` for real, on this machine (no lab): a Locust worker
process that fetches the load from the run's master, with its clock 2 s ahead
(libfaketime), a worker that never comes, and one killed mid-run.

The target is a stdlib HTTP server on 127.0.0.1; every loop is bounded in time.
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaos.errors import LoadError
from chaos.load.runner import LoadRunner, LoadSettings, RemoteLoad

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
REQUESTS = ({"name": "GET /", "method": "GET", "path": "/", "headers": {}, "json": None,
             "weight": 1, "success": None, "write": None},
            {"name": "POST /w/{ref}", "method": "POST", "path": "/w/{ref}", "headers": {},
             "json": None, "weight": 1, "success": None, "write": {"ref": "client"}})


class _Handler(http.server.BaseHTTPRequestHandler):
    served = 0
    delay = 0.0

    def _answer(self) -> None:
        time.sleep(type(self).delay)
        type(self).served += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[type[_Handler]]:
    handler = type("Handler", (_Handler,), {"served": 0, "delay": 0.0})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def chaos_worker(master: str, name: str, log: Path, faketime: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAOS_")}
    if faketime:
        if not Path(LIBFAKETIME).exists():
            if os.environ.get("CI"):
                pytest.fail("libfaketime is missing (scripts/sysdeps test installs faketime)")
            pytest.skip("libfaketime is missing")
        env.update(LD_PRELOAD=LIBFAKETIME, FAKETIME=faketime, DONT_FAKE_MONOTONIC="1")
    chaos = shutil.which("chaos", path=str(Path(sys.executable).parent))
    return subprocess.Popen([chaos, "worker", "--master", master, "--name", name],
                            env=env, cwd="/tmp", stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def settings(**remote: Any) -> LoadSettings:
    return LoadSettings(requests=REQUESTS, users=4, spawn_rate=20, run_time_s=60,
                        wait_min=0.02, wait_max=0.05, remote=RemoteLoad(**remote))


def test_a_worker_2s_ahead_is_measured_and_corrected(server, tmp_path):
    load = LoadRunner(server.url, settings(expect=("ahead",), join_timeout=30), tmp_path)
    load.start()
    worker = chaos_worker(load.master_address, "ahead", tmp_path / "worker.log", "+2s")
    observed = []
    try:
        load.wait_ready()
        t0 = time.time()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            observed += load.poll()
            time.sleep(0.2)
        t1 = time.time()
    finally:
        load.stop()
        worker.wait(timeout=30)
    observed += load.poll()
    (host,) = [r.as_dict() for r in load.hosts.host_records(0.25)]
    assert host["name"] == "ahead" and host["address"] == "127.0.0.1"
    assert host["offset_s"] == pytest.approx(2.0, abs=0.05)
    assert host["offset_uncertainty_s"] < 0.05
    assert host["sent"] == host["received"] == len(observed) == server.served
    # On this machine's clock: nothing answered before the wait ended or after the stop
    # (uncorrected, every time would be 2 s in the future).
    during = [o for o in observed if t0 <= o.end <= t1]
    assert len(during) > 0.8 * len([o for o in observed if o.end >= t0])
    assert max(o.end for o in observed) <= time.time()
    assert {o.host for o in observed} == {"ahead"}
    assert sum(o.write for o in observed) > 0


def test_a_worker_that_never_comes_is_named(server, tmp_path):
    load = LoadRunner(server.url, settings(expect=("here", "away"), join_timeout=6), tmp_path)
    load.start()
    worker = chaos_worker(load.master_address, "here", tmp_path / "worker.log")
    try:
        with pytest.raises(LoadError) as info:
            load.wait_ready()
    finally:
        load.stop()
        worker.wait(timeout=30)
    text = str(info.value)
    assert "1 of 2 load workers joined" in text
    assert "joined: here (127.0.0.1)" in text and "missing: away" in text


def test_a_worker_killed_mid_run_is_lost_with_what_it_had_in_flight(server, tmp_path):
    server.delay = 0.3      # requests take a while: some are in flight when it dies
    load = LoadRunner(server.url, settings(expect=("doomed", "stays"), join_timeout=30),
                      tmp_path)
    load.start()
    doomed = chaos_worker(load.master_address, "doomed", tmp_path / "doomed.log")
    stays = chaos_worker(load.master_address, "stays", tmp_path / "stays.log")
    observed = []
    try:
        load.wait_ready()
        time.sleep(2)
        os.killpg(doomed.pid, signal.SIGKILL)
        killed_at = time.time()
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not load.hosts.lost():
            observed += load.poll()
            time.sleep(0.2)
        time.sleep(1)
        observed += load.poll()
    finally:
        load.stop()
        doomed.wait(timeout=30)
        stays.wait(timeout=30)
    observed += load.poll()
    hosts = {r.name: r.as_dict() for r in load.hosts.host_records(0.25)}
    lost = hosts["doomed"]
    assert lost["lost"] and killed_at - 1.0 <= lost["lost_at"] <= killed_at
    assert lost["in_flight_at_loss"] >= 1
    orphans = [o for o in observed if o.orphan]
    assert len(orphans) == lost["unknown_writes"] and all(o.unknown_write for o in orphans)
    assert {o.host for o in orphans} <= {"doomed"}
    assert hosts["stays"]["sent"] == hosts["stays"]["received"] > 0   # the other went on
    assert any(o.host == "stays" and o.end > killed_at + 1 for o in observed)


@pytest.mark.parametrize("workers", [0, 2])
def test_requests_in_flight_at_the_stop_are_all_recorded(server, tmp_path, workers):
    """Every user is mid-request when the run stops (the server takes 0.3 s): each of
    those requests ends, is answered and is one line, in one process as with workers."""
    server.delay = 0.3
    settings = LoadSettings(requests=REQUESTS[:1], users=6, spawn_rate=30, run_time_s=60,
                            wait_min=0.0, wait_max=0.01, workers=workers)
    load = LoadRunner(server.url, settings, tmp_path)
    load.start()
    observed = []
    try:
        load.wait_ready()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            observed += load.poll()
            time.sleep(0.1)
    finally:
        load.stop()
    observed += load.poll()
    assert len(observed) == server.served > 20
    assert all(o.ok for o in observed)
    hosts = load.hosts.host_records(0.25)
    for host in hosts:
        assert host.sent == host.received, host
    assert sum(h.received or 0 for h in hosts) == len(observed)
