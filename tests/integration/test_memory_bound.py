"""The write log's memory does not grow with the trial: a CI sample of benchmarks.memory.

Peak RSS (VmHWM) of a child process fed a 1-minute and a 3-minute stream at 1000
writes/s through ``WriteLog.add``, the batched ``data_loss`` query and ``account``;
the difference over the difference in writes is what each further write costs.
The previous in-memory dicts pay ~270 B per write (the log, then the refs sent
and the set read back); the disk log pays what is left of SQLite's page cache
filling up, and nothing once it is full. Results must be identical. ~7 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOUND = 100     # bytes of peak RSS per further acknowledged write


def side(log: str, seconds: int) -> dict:
    done = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--child", "--path", "log",
                           "--reads-per-write", "0", "--log", log, "--seconds", str(seconds)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    row: dict = json.loads(done.stdout.splitlines()[-1])
    return row


def per_write(short: dict, long: dict) -> float:
    grew = (long["peak_rss_mb"] - short["peak_rss_mb"]) * 2**20
    return grew / (long["acknowledged"] - short["acknowledged"])


def test_memory_per_write_is_bounded_and_results_equal_the_dicts():
    disk = [side("disk", 60), side("disk", 180)]
    dicts = [side("dict", 60), side("dict", 180)]
    assert disk[1]["acknowledged"] == 179_820 and disk[1]["lost"] > 0
    assert disk[1]["result"] == dicts[1]["result"]
    assert disk[1]["queries"] > 1                    # the data_loss query ran in batches
    disk_cost, dict_cost = per_write(*disk), per_write(*dicts)
    assert dict_cost > BOUND, f"the bound must catch the old dicts ({dict_cost:.0f} B/write)"
    assert disk_cost < BOUND, f"{disk_cost:.0f} B of peak RSS per further write: {disk}"
