"""Signalling recorded load processes only when proven this lab's (issue #28), on real
child processes: a pid recorded with its start time, boot and lab mark is stopped; the
same pid with a start time that differs (what a reused pid looks like), another lab's
mark, no mark, an old state file of pids alone, a zombie or a damaged file is left alone.
PID reuse cannot be forced, so a reused pid is shown by editing the recorded start time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos.lab import loadprocs
from chaos.lab.lab import Lab, LabSpec
from chaos.lab.loadprocs import (
    LOAD_PROCS,
    OLD_LOAD_PIDS,
    load_env,
    proc_stat,
    record_load_pids,
    stop_orphan_load,
)
from chaos.load.runner import LoadRunner, LoadSettings
from tests.cli_helpers import run_main

LAB_A, LAB_B = "aaaaaaa1", "bbbbbbb2"
# "locust" in the command line: what the old guard looked for, so each child would
# have passed it.
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)", "locust"]


@pytest.fixture
def spawn() -> Iterator:
    """Start a child like LoadRunner starts Locust (its own session, the lab's mark);
    every child is killed and reaped at the end."""
    children: list[subprocess.Popen[bytes]] = []

    def start(lab: str | None = LAB_A, *, session: bool = True,
              argv: list[str] | None = None) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if k != loadprocs.LOAD_ENV}
        env.update(load_env(lab) if lab else {})
        proc = subprocess.Popen(argv or SLEEPER, env=env, start_new_session=session,
                                stdin=subprocess.DEVNULL)
        children.append(proc)
        return proc

    yield start
    for proc in children:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def ended_by_sigterm(proc: subprocess.Popen[bytes], timeout: float = 10) -> bool:
    try:
        return proc.wait(timeout=timeout) == -signal.SIGTERM
    except subprocess.TimeoutExpired:
        return False


def still_alive(proc: subprocess.Popen[bytes]) -> bool:
    time.sleep(0.3)     # a SIGTERM sent would have ended the sleeper by now
    return proc.poll() is None


def edit_record(state: Path, **changes: object) -> None:
    path = state / LOAD_PROCS
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if key in ("pid", "start"):
            for p in data["procs"]:
                p[key] = value(p[key]) if callable(value) else value
        else:
            data[key] = value
    path.write_text(json.dumps(data))


def test_record_holds_pid_start_time_and_boot(tmp_path, spawn):
    proc = spawn()
    record_load_pids(tmp_path, LAB_A, [proc.pid])
    data = json.loads((tmp_path / LOAD_PROCS).read_text())
    stat_fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    assert data["procs"] == [{"pid": proc.pid, "start": int(stat_fields[19])}]  # field 22
    assert data["boot"] == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert data["lab"] == LAB_A and data["format"] == 2


def test_a_proven_process_is_stopped(tmp_path, spawn):
    proc = spawn()
    record_load_pids(tmp_path, LAB_A, [proc.pid])
    assert stop_orphan_load(tmp_path, LAB_A) == []
    assert ended_by_sigterm(proc)


def test_a_different_start_time_is_a_reused_pid_and_is_left_alone(tmp_path, spawn):
    proc = spawn()
    record_load_pids(tmp_path, LAB_A, [proc.pid])
    edit_record(tmp_path, start=lambda s: s - 1)   # the recorded one started earlier
    notes = stop_orphan_load(tmp_path, LAB_A)
    assert still_alive(proc)
    assert len(notes) == 1 and f"pid {proc.pid} left alone" in notes[0]
    assert "reused" in notes[0]


def test_another_labs_load_is_left_alone_even_with_its_own_start_time(tmp_path, spawn):
    b = spawn(LAB_B)
    record_load_pids(tmp_path, LAB_A, [b.pid])    # lab A's state naming B's Locust, exactly
    notes = stop_orphan_load(tmp_path, LAB_A)
    assert still_alive(b)
    assert notes == [f"lab {LAB_A}: recorded load pid {b.pid} left alone: "
                     f"a process of lab {LAB_B}"]


def test_an_unrelated_process_is_left_alone(tmp_path, spawn):
    other = spawn(None, argv=["sleep", "60"])
    record_load_pids(tmp_path, LAB_A, [other.pid])
    notes = stop_orphan_load(tmp_path, LAB_A)
    assert still_alive(other)
    assert "not a load process of any lab" in notes[0]


def test_a_process_that_is_not_a_session_leader_is_left_alone(tmp_path, spawn):
    proc = spawn(session=False)     # we start Locust with start_new_session; this is not it
    record_load_pids(tmp_path, LAB_A, [proc.pid])
    notes = stop_orphan_load(tmp_path, LAB_A)
    assert still_alive(proc)
    assert "session leader" in notes[0]


def test_another_boot_is_left_alone(tmp_path, spawn):
    proc = spawn()
    record_load_pids(tmp_path, LAB_A, [proc.pid])
    edit_record(tmp_path, boot="00000000-0000-0000-0000-000000000000")
    notes = stop_orphan_load(tmp_path, LAB_A)
    assert still_alive(proc)
    assert "booted" in notes[0]


def test_an_old_state_file_of_pids_alone_signals_nothing_and_says_so(tmp_path, spawn):
    proc = spawn()      # this lab's own Locust, even: without a start time nothing is proven
    (tmp_path / OLD_LOAD_PIDS).write_text(f"{proc.pid}\n")
    notes = stop_orphan_load(tmp_path, LAB_A)
    assert still_alive(proc)
    assert len(notes) == 1
    assert "older chaos" in notes[0] and "none was signalled" in notes[0]
    assert str(proc.pid) in notes[0]


@pytest.mark.parametrize("damage", ["", "{", "[1, 2]", '{"format": 2}', "<fifo>",
                                    '{"format": 2, "boot": "x", "procs": [{"pid": "a"}]}'])
def test_a_damaged_record_signals_nothing(tmp_path, spawn, damage):
    proc = spawn()
    if damage == "<fifo>":      # reading it would block the teardown
        os.mkfifo(tmp_path / LOAD_PROCS)
    else:
        (tmp_path / LOAD_PROCS).write_text(damage)
    notes = stop_orphan_load(tmp_path, LAB_A)
    assert still_alive(proc)
    assert len(notes) == 1 and "damaged" in notes[0]


@pytest.mark.parametrize("pid", [0, 1, -1])
def test_pids_that_would_widen_a_signal_are_refused(tmp_path, pid):
    (tmp_path / LOAD_PROCS).write_text(json.dumps(
        {"format": 2, "lab": LAB_A, "boot": loadprocs.boot_id(),
         "procs": [{"pid": pid, "start": 0}]}))
    assert stop_orphan_load(tmp_path, LAB_A) == [
        f"lab {LAB_A}: recorded load pid {pid} left alone: not a process id"]


def test_a_zombie_is_not_signalled_and_not_reported(tmp_path, spawn):
    proc = spawn()
    record_load_pids(tmp_path, LAB_A, [proc.pid])
    os.kill(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while (st := proc_stat(proc.pid)) is not None and st.state != "Z":
        assert time.monotonic() < deadline, "the child never became a zombie"
        time.sleep(0.02)
    assert stop_orphan_load(tmp_path, LAB_A) == []
    assert proc.wait(timeout=5) == -signal.SIGKILL    # our SIGKILL, not a SIGTERM of down


def test_an_exited_process_is_not_reported(tmp_path, spawn):
    proc = spawn()
    record_load_pids(tmp_path, LAB_A, [proc.pid])
    proc.kill()
    proc.wait(timeout=10)
    assert stop_orphan_load(tmp_path, LAB_A) == []


def test_the_whole_process_group_is_stopped(tmp_path, spawn):
    if tuple(int(x) for x in os.uname().release.split(".")[:2] if x.isdigit()) < (6, 9):
        pytest.skip("signalling a group through a pidfd needs Linux 6.9")
    leader = spawn(argv=[sys.executable, "-c",
                         "import subprocess, time; subprocess.Popen(['sleep', '60']); "
                         "time.sleep(60)"])
    child = 0
    try:
        deadline = time.monotonic() + 10
        while not child:        # the leader's child: the other process of its session
            assert time.monotonic() < deadline, "the leader started no child"
            time.sleep(0.05)
            child = next((int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                          and int(p.name) != leader.pid
                          and getattr(proc_stat(int(p.name)), "session", 0) == leader.pid), 0)
        record_load_pids(tmp_path, LAB_A, [leader.pid])
        assert stop_orphan_load(tmp_path, LAB_A) == []
        assert ended_by_sigterm(leader)
        deadline = time.monotonic() + 10
        while getattr(proc_stat(child), "state", "Z") != "Z":
            assert time.monotonic() < deadline, "the group's other process got no SIGTERM"
            time.sleep(0.05)
    finally:
        if child and getattr(proc_stat(child), "session", 0) == leader.pid:
            os.kill(child, signal.SIGKILL)


def test_load_runner_marks_its_processes_with_the_lab(tmp_path):
    runner = LoadRunner("http://127.0.0.1:1", LoadSettings(), tmp_path, env=load_env(LAB_A))
    assert runner._env()[loadprocs.LOAD_ENV] == LAB_A


def test_lab_down_reports_what_it_left_alone(tmp_path, spawn, monkeypatch):
    """`chaos lab down ID` end to end, the engine stubbed: an old state file's pid and
    another lab's Locust are left alone, and the user is told why."""
    from chaos.cli import lab_commands
    from chaos.lab import lab as lab_module

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(lab_commands, "running_labs", lambda: {})
    monkeypatch.setattr(lab_module, "sweep", lambda lab_id: None)
    lab = Lab.create(LabSpec(), owner_pid=0)
    b = spawn(LAB_B)
    mine = spawn(lab.id)
    record_load_pids(lab.state_dir, lab.id, [b.pid, mine.pid])
    (lab.state_dir / OLD_LOAD_PIDS).write_text(f"{b.pid}\n")
    code, out = run_main(["lab", "down", lab.id])
    assert code == 0, out
    assert still_alive(b)
    assert ended_by_sigterm(mine)
    assert "older chaos" in out
    assert f"recorded load pid {b.pid} left alone: a process of lab {LAB_B}" in out
    assert f"lab {lab.id} down" in out
    assert not lab.state_dir.exists()
