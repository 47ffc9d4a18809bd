"""Helpers for end-to-end runs: shortened copies of the shipped scenarios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaos.record import RunRecord
from chaos.record import load_result as read_record

REPO = Path(__file__).resolve().parents[2]
CHAOS = [sys.executable, "-m", "chaos"]


def shorten(name: str, tmp: Path, edit=None) -> tuple[Path, dict[str, Any]]:
    """A copy of scenarios/<name> with times scaled down to run in about a minute."""
    src = REPO / "scenarios" / name
    doc = yaml.safe_load(src.read_text())
    doc["lab"]["compose"] = str((src.parent / doc["lab"]["compose"]).resolve())
    doc["load"]["locustfile"] = str((src.parent / doc["load"]["locustfile"]).resolve())
    for fault in doc["faults"]:
        if "script" in fault:
            fault["script"] = str(src.parent / fault["script"])
        fault["at"] = "15s"
    if "backups" in doc:
        doc["backups"]["every"] = "10s"
    for det in doc.get("detect", []):
        if det["type"] == "error_rate":
            det.update(window="5s", **{"for": "2s"})
    rec = doc.get("recovery", {})
    rec["delay"] = "5s"
    for step in rec.get("steps", []):
        if "run_sql" in step:
            step["run_sql"] = str(src.parent / step["run_sql"])
    doc["steady_state"] = {"error_rate": {"below": "1%", "for": "5s"}}
    doc["time_limit"] = "90s"
    if edit:
        edit(doc)
    dst = tmp / name
    dst.write_text(yaml.safe_dump(doc, sort_keys=False))
    return dst, doc


def run_chaos(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*CHAOS, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO)


def load_result(out: Path) -> RunRecord:
    """The run's result.json, read the way chaos reads it (validated, typed)."""
    return read_record(out / "result.json")


@pytest.fixture
def lab_cleanup():
    """Lab ids appended here are torn down after the test, whatever happened; a teardown
    that leaves anything with the lab's label fails the test (it would leak silently)."""
    from chaos.lab.resources import list_resources

    ids: list[str] = []
    yield ids
    left = {}
    for lab_id in ids:
        down = run_chaos("lab", "down", lab_id)
        rest = {k: len(v) for k, v in list_resources(lab_id).items() if v}
        if rest:
            left[lab_id] = (rest, down.stdout[-500:] + down.stderr[-1000:])
    assert not left, f"labs left after `chaos lab down`: {left}"
