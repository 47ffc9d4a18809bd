"""Where a run cannot write its record, `chaos run` exits 2 before any lab starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import run_main

REPO = Path(__file__).parents[2]
SCENARIO = f"""\
name: out
lab: {{compose: {REPO / "compose" / "docker-compose.yml"}}}
load: {{users: 1, requests: [{{path: /health}}]}}
faults: [{{type: pause, target: db, at: 1s, duration: 5s}}]
recovery: {{trigger: none}}
"""


def run(tmp_path: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``chaos run`` in a real process: its exit code, and stderr free of tracebacks."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO)
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}  # never reached
    return subprocess.run([sys.executable, "-m", "chaos", "run", str(scenario), *args],
                          cwd=cwd or tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)


def run_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """The same, in this process (an uncaught exception fails the test)."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.chdir(tmp_path)
    return run_main(["run", str(scenario), *args])


def test_out_is_a_file(tmp_path):
    (tmp_path / "taken").write_text("mine")
    done = run(tmp_path, "--out", str(tmp_path / "taken"))
    assert done.returncode == 2, done.stderr
    assert "a file is in the way" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "taken").read_text() == "mine"


@pytest.mark.parametrize("out", ["/proc/chaos-run", "/proc/self/chaos"])
def test_out_cannot_be_created(tmp_path, monkeypatch, out):
    code, said = run_here(tmp_path, monkeypatch, "--out", out)
    assert code == 2, said
    assert "choose a writable --out" in said or "choose another --out" in said


def test_reports_is_a_file_in_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "reports").write_text("not a directory")
    code, said = run_here(tmp_path, monkeypatch)
    assert code == 2, said
    assert "reports" in said and "Traceback" not in said
