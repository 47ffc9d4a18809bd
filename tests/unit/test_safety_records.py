"""No lost records: atomic writes, a full disk, and run directories that never collide."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from itertools import chain
from pathlib import Path
from types import SimpleNamespace

import pytest

from chaos import atomic
from chaos.errors import ChaosError
from tests.needs import need_root, unavailable

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "runs" / "seed-sample"
REPO = Path(__file__).resolve().parents[2]


def test_a_failed_write_leaves_the_previous_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    atomic.write_json(target, {"status": "completed"})

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(ChaosError) as exc:
        atomic.write_json(target, {"status": "aborted"})
    assert "No space left on device" in str(exc.value) and str(target) in str(exc.value)
    assert json.loads(target.read_text()) == {"status": "completed"}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 4 MiB tmpfs (needs root and CAP_SYS_ADMIN; skipped without, failing in CI)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    need_root("mounting a tmpfs")
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        unavailable(f"cannot mount a tmpfs here ({mount.stderr.strip()})")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.slow   # a pytest or chaos subprocess, or matplotlib charts: seconds
def test_full_disk_during_report_writing_fails_loudly_and_keeps_the_old_report(tiny_disk):
    run = tiny_disk / "run"
    shutil.copytree(SAMPLE, run)
    first = subprocess.run([sys.executable, "-m", "chaos", "report", str(run)], cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    filler = tiny_disk / "filler"
    with open(filler, "wb", buffering=0) as f:          # fill what is left of the disk
        try:
            while True:
                f.write(b"x" * 1024)
        except OSError:
            pass
    again = subprocess.run([sys.executable, "-m", "chaos", "report", str(run)], cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 3, again.stdout + again.stderr
    assert "No space left on device" in again.stderr and "Traceback" not in again.stderr
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before   # intact, no temp files


def test_run_directories_never_collide(tmp_path):
    from chaos.run import new_run_id

    scenario = SimpleNamespace(name="x")
    made = [atomic.exclusive_dir(tmp_path, lambda: new_run_id(scenario, Path("quick.yaml")))
            for _ in range(300)]
    assert len({p.name for p in made}) == 300 and all(p.is_dir() for p in made)


def test_a_taken_name_draws_another(tmp_path):
    names = chain(["taken", "taken", "free"])
    (tmp_path / "taken").mkdir()
    assert atomic.exclusive_dir(tmp_path, lambda: next(names)).name == "free"


def _draw_run_dir(parent: str, start, out) -> None:
    from chaos.run import new_run_id

    start.wait(timeout=30)          # all eight reach for a name at the same instant
    out.put(str(atomic.exclusive_dir(Path(parent),
                                     lambda: new_run_id(SimpleNamespace(), Path("s.yaml")))))


def test_concurrent_processes_get_distinct_run_dirs(tmp_path):
    # Eight real processes (forked from this one, so they do not each pay chaos's imports).
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Barrier(8), ctx.Queue()
    procs = [ctx.Process(target=_draw_run_dir, args=(str(tmp_path), start, out))
             for _ in range(8)]
    for proc in procs:
        proc.start()
    dirs = [out.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert [proc.exitcode for proc in procs] == [0] * 8
    assert len(set(dirs)) == 8 and all(Path(d).is_dir() for d in dirs)


def test_every_record_and_report_writer_goes_through_atomic():
    """A grep, so that a new writer cannot quietly skip temp-file-and-rename."""
    offenders = []
    for path in (REPO / "chaos").rglob("*.py"):
        text = path.read_text()
        rel = path.relative_to(REPO).as_posix()
        if rel in ("chaos/atomic.py",) or rel.startswith(("chaos/lab/", "chaos/load/")):
            continue  # lab state, image build logs and Locust's inputs are not records
        for needle in ("result.json\").write", ".write_text(", "json.dump("):
            if needle in text:
                offenders.append(f"{rel}: {needle}")
    assert offenders == [], offenders
