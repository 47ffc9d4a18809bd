"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CHAOS = [sys.executable, "-m", "chaos"]


def emit(**fields: Any) -> None:
    """One measurement as one JSON line on stdout (the format the CI sample checks)."""
    print(json.dumps({"bench": fields.pop("bench"), **fields}, default=str), flush=True)


def spread(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median": None, "min": None, "max": None}
    return {"n": len(values), "median": round(statistics.median(values), 4),
            "min": round(min(values), 4), "max": round(max(values), 4)}


def chaos(*args: str, timeout: float = 1800, **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run([*CHAOS, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, **kw)


def timed(argv: list[str], timeout: float = 600) -> float:
    t0 = time.monotonic()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr[-800:]}")
    return time.monotonic() - t0
