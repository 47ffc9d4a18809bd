"""ruff and mypy at zero, as part of the test run (`make test`), not a separate step.

Both read their configuration from pyproject.toml: ruff checks chaos, tests and
benchmarks; mypy checks the package under ``strict`` (tests are left out). They
come with the ``test`` extra, so a missing one fails here rather than skipping.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*argv: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_ruff_finds_nothing():
    done = run("ruff", "check", "--no-cache", "chaos", "tests", "benchmarks", timeout=120)
    assert done.returncode == 0, f"ruff check failed:\n{done.stdout}{done.stderr}"


@pytest.mark.slow   # ~11 s without mypy's cache (a fresh clone, CI)
def test_mypy_finds_nothing():
    done = run("mypy", timeout=600)
    assert done.returncode == 0, f"mypy failed:\n{done.stdout}{done.stderr}"
