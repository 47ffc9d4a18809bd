"""scripts/demo (`make demo`): it ends with 0 on the seed's missed data-loss target only
when writes were counted as lost in a completed run; a target on a value not measured,
a run cut short, or an invariant that did not hold, keeps chaos's exit 1 (issue #23:
unmeasured is never passed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "scripts" / "demo"
FAKE_CHAOS = """#!/usr/bin/env bash
# chaos run SCENARIO --out DIR: writes the record the test prepared, exits as told
mkdir -p "$4" && cp "$FAKE_RESULT" "$4/result.json"
exit "$FAKE_RC"
"""


def demo(tmp_path: Path, record: dict, rc: int = 1) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "chaos").write_text(FAKE_CHAOS)
    (bin_dir / "chaos").chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    (tmp_path / "result.json").write_text(json.dumps(record))
    env = {**os.environ, "BIN": str(bin_dir), "OUT": str(tmp_path / "out"),
           "FAKE_RESULT": str(tmp_path / "result.json"), "FAKE_RC": str(rc)}
    return subprocess.run(["bash", str(DEMO)], env=env, capture_output=True, text=True,
                          timeout=60)


def record(observed: int | None, status: str = "completed") -> dict:
    return {"status": status, "passed": False, "targets": [
        {"metric": "ttd", "limit": 30, "observed": 2.4, "passed": True},
        {"metric": "data_loss", "limit": 0, "observed": observed, "passed": False}]}


def test_writes_counted_as_lost_are_the_seeds_finding(tmp_path):
    done = demo(tmp_path, record(165))
    assert done.returncode == 0, done.stderr
    assert "the seed incident lost acknowledged writes" in done.stdout


@pytest.mark.parametrize("rec, missed", [
    (record(None), "data_loss(not-measured)"),
    (record(165, status="aborted"), "data_loss run(aborted)"),
    ({**record(165), "trials": [{"trial": 1, "invariants": [
        {"name": "prices raised once", "passed": False, "observed": 3, "expect": 0}]}]},
     "data_loss invariant(prices_raised_once)"),
])
def test_a_miss_that_measured_nothing_is_not_the_finding(tmp_path, rec, missed):
    done = demo(tmp_path, rec)
    assert done.returncode == 1
    assert "lost acknowledged writes" not in done.stdout
    assert f"not as the seed incident goes (missed: {missed})" in done.stderr
