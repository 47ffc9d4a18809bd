"""Locust workers on hosts of their own (tests/loadhosts.py), driven by a bare master here.

A master on this machine binds the load network's gateway; two worker containers
(``chaos/loadworker``, the host's Locust) fetch its locustfile with ``-f -`` and load
an HTTP server that is a third host on the same network. One worker's clock is 2 s
ahead (libfaketime); the other is killed mid-run and the master must call it missing.
Nothing leaves this machine: the only target is that container.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.loadhosts import LoadHosts

pytestmark = pytest.mark.docker

LOCUSTFILE = """\
from locust import HttpUser, constant, task


class Visitor(HttpUser):
    wait_time = constant(0.2)

    @task
    def index(self):
        self.client.get("/")
"""
RUN_SECONDS = 20


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for(what: str, check, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s; the master's log:\n"
                        + log.read_text(errors="replace")[-3000:])
        time.sleep(0.2)


def clock_offset(hosts: LoadHosts, name: str) -> tuple[float, float]:
    """The host's wall clock minus ours, as (lowest, highest) possible."""
    before = time.time()
    code, out = hosts.exec(name, ["python3", "-c", "import time; print(repr(time.time()))"])
    after = time.time()
    assert code == 0, out
    theirs = float(out.strip().splitlines()[-1])
    return theirs - after, theirs - before


def test_two_worker_hosts_join_one_is_skewed_one_is_lost(docker_client, loadworker_image,
                                                         tmp_path):
    locustfile = tmp_path / "visitors.py"
    locustfile.write_text(LOCUSTFILE)
    master_log = tmp_path / "master.log"
    with LoadHosts(docker_client, image=loadworker_image) as hosts:
        target = hosts.serve_http("target")
        gw = hosts.gateway
        port = free_port(gw)
        argv = [sys.executable, "-m", "locust", "-f", str(locustfile), "--master",
                "--master-bind-host", gw, "--master-bind-port", str(port), "--headless",
                "-u", "2", "-r", "2", "-t", f"{RUN_SECONDS}s", "--expect-workers", "2",
                "--expect-workers-max-wait", "60", "--host", target, "--json",
                "--loglevel", "INFO"]
        with open(master_log, "wb") as err:
            master = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err,
                                      stdin=subprocess.DEVNULL)
        try:
            hosts.start("steady", gw, port)
            hosts.start("skewed", gw, port, faketime="+2s")

            def log() -> str:
                return master_log.read_text(errors="replace")

            def ready(name: str) -> bool:
                return re.search(rf"\b{name}_[0-9a-f]+ \(index \d+\) reported as ready",
                                 log()) is not None

            wait_for("both workers reported as ready",
                     lambda: ready("steady") and ready("skewed"), 60, master_log)

            low, high = clock_offset(hosts, "skewed")
            assert low > 1.0 and high < 3.0, (low, high)       # +2 s, give or take
            low, high = clock_offset(hosts, "steady")
            assert low > -1.0 and high < 1.0, (low, high)      # the control: no shift

            wait_for("the load running", lambda: "All users spawned" in log(), 30, master_log)
            time.sleep(3)
            hosts.kill("steady")
            lost = re.compile(r"\bsteady_[0-9a-f]+ failed to send heartbeat, setting state to "
                              r"missing")
            wait_for("the master calling the killed host missing",
                     lambda: lost.search(log()) is not None, 20, master_log)
            assert "skewed" not in "".join(re.findall(r"\S+ failed to send heartbeat", log()))

            out, _ = master.communicate(timeout=RUN_SECONDS + 60)
        finally:
            if master.poll() is None:
                master.kill()
                master.wait(timeout=10)
        stats = json.loads(out)
        requests = sum(s["num_requests"] for s in stats)
        assert requests > 0, (stats, log())
        assert sum(s["num_failures"] for s in stats) == 0, stats
        print(f"master: exit {master.returncode}, {requests} requests; "
              f"skewed worker's log tail:\n{hosts.logs('skewed')[-500:]}")
