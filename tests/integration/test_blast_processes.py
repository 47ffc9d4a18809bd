"""Blast radius, processes (issue #28): `chaos lab down A` never signals lab B's Locust.

Two real labs side by side, each with a real Locust sending requests to it. Lab A's
state file is then rewritten the way a reused pid or a hand edit would leave it: it
names lab B's Locust, once with B's own start time, once with A's Locust's start time,
and once more in the old format (pids alone, the file chaos wrote before issue #28).
`chaos lab down A`, from another process as after a crash, must stop A's own Locust
(the one entry that is proven), take A's containers down, and leave B's Locust
running and B's containers exactly as they were. With the old guard ("locust" in
/proc/PID/cmdline) B's Locust got SIGTERM.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaos.lab.lab import Lab, LabSpec
from chaos.lab.loadprocs import LOAD_PROCS, OLD_LOAD_PIDS, load_env, proc_stat
from chaos.lab.resources import list_resources, wait_healthy
from chaos.load.runner import LoadRunner, LoadSettings
from tests import shop

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
CHAOS = [sys.executable, "-m", "chaos"]


@pytest.fixture
def two_labs_with_load(lab_images, tmp_path):
    labs: list[Lab] = []
    loads: list[LoadRunner] = []
    try:
        for _ in range(2):
            labs.append(Lab.create(LabSpec(), owner_pid=os.getpid()))
        for lab in labs:
            lab.compose.up()
        for lab in labs:
            wait_healthy(lab.id, timeout=180)
        for lab in labs:    # started as a trial starts it: the lab's mark, then recorded
            load = LoadRunner(lab.app_url, LoadSettings(locustfile=shop.LOCUSTFILE, users=2,
                                                        spawn_rate=2, run_time_s=180),
                              tmp_path / lab.id, env=load_env(lab.id))
            load.start()
            loads.append(load)
            lab.record_load(load.pids())
            time.sleep(0.5)     # distinct start times (clock ticks of 10 ms)
        yield labs, loads
    finally:
        for load in loads:
            load.stop()
        for lab in labs:
            lab.down()


def requests_seen(load: LoadRunner, seconds: float) -> int:
    deadline, n = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        n += len(load.poll())
        time.sleep(0.2)
    return n


def containers(lab_id: str) -> dict[str, tuple[str, str]]:
    return {c.id: (c.name, c.status) for c in list_resources(lab_id)["containers"]}


def test_lab_down_spares_another_labs_locust(two_labs_with_load):
    (a, b), (load_a, load_b) = two_labs_with_load
    [pid_a], [pid_b] = load_a.pids(), load_b.pids()
    stat_a, stat_b = proc_stat(pid_a), proc_stat(pid_b)
    assert stat_a is not None and stat_b is not None
    assert stat_a.start < stat_b.start, (stat_a, stat_b)
    assert requests_seen(load_b, 3) > 0            # B's Locust is really working
    b_before = containers(b.id)
    assert len(b_before) >= 2

    record = json.loads((a.state_dir / LOAD_PROCS).read_text())
    assert record["procs"] == [{"pid": pid_a, "start": stat_a.start}]
    record["procs"] = [{"pid": pid_b, "start": stat_b.start},    # B's, exactly
                       {"pid": pid_b, "start": stat_a.start},    # B's pid, A's start time
                       {"pid": pid_a, "start": stat_a.start}]    # A's own: must stop
    (a.state_dir / LOAD_PROCS).write_text(json.dumps(record))
    (a.state_dir / OLD_LOAD_PIDS).write_text(f"{pid_b}\n")        # an older chaos's file

    down = subprocess.run([*CHAOS, "lab", "down", a.id], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    out = down.stdout + down.stderr
    assert down.returncode == 0, out
    assert f"recorded load pid {pid_b} left alone: a process of lab {b.id}" in out
    assert f"recorded load pid {pid_b} left alone: started after the one recorded" in out
    assert "written by an older chaos" in out and "none was signalled" in out
    assert f"pid {pid_a} left alone" not in out

    # A's own Locust was proven and stopped; A is gone.
    deadline = time.monotonic() + 30
    while load_a.alive():
        assert time.monotonic() < deadline, "lab A's own Locust was not stopped"
        time.sleep(0.2)
    assert all(not v for v in list_resources(a.id).values())
    # B's Locust still runs and still gets answers; B's containers are as they were.
    assert load_b.alive()
    assert requests_seen(load_b, 3) > 0
    still = proc_stat(pid_b)
    assert still is not None and still.start == stat_b.start and still.state != "Z"
    assert containers(b.id) == b_before
