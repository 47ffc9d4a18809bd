"""Files a scenario names: a FIFO, a device, a directory, a loop or a huge file never
hang or crash `chaos validate`; each is a located error (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
GOOD = """\
name: files
lab: {{compose: {compose}}}
load: {{users: 1, requests: [{{path: /health}}]}}
faults: [{{type: pause, target: db, at: 1s, duration: 5s}}]
recovery: {{trigger: none}}
"""


def validate(*args: str, timeout: float = 30) -> tuple[int, str, float]:
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "chaos", "validate", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - t0


def scenario_with_compose(tmp_path: Path, compose: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.format(compose=compose))
    return path


@pytest.mark.parametrize("make, says", [
    (lambda d: (os.mkfifo(d / "fifo"), d / "fifo")[1], "named pipe"),
    (lambda d: Path("/dev/zero"), "device"),
    (lambda d: d, "directory"),
    (lambda d: (os.symlink(d / "loop", d / "loop"), d / "loop")[1], "symlink loop"),
])
def test_a_scenario_that_is_not_a_file(tmp_path, make, says):
    code, out, took = validate(str(make(tmp_path)))
    assert code == 2, out
    assert says in out and "Traceback" not in out
    assert took < 20


@pytest.mark.parametrize("make, says", [
    (lambda d: (os.mkfifo(d / "c.yml"), d / "c.yml")[1], "named pipe"),
    (lambda d: (os.symlink(d / "c.yml", d / "c.yml"), d / "c.yml")[1], "symlink loop"),
    (lambda d: ((d / "c.yml").write_text("x: " + "y" * 3_000_000), d / "c.yml")[1], "too large"),
])
def test_a_compose_file_that_cannot_be_read(tmp_path, make, says):
    code, out, took = validate(str(scenario_with_compose(tmp_path, make(tmp_path))))
    assert code == 2, out
    assert "s.yaml:2: lab.compose" in out and says in out, out
    assert took < 20


def test_a_broken_compose_file_is_not_quoted(tmp_path):
    compose = tmp_path / "c.yml"
    compose.write_text("services:\n  app:\n    environment:\n      API_KEY: sk-live-abcdef\n"
                       "    image: [unclosed\n")
    code, out, _ = validate(str(scenario_with_compose(tmp_path, compose)))
    assert code == 2, out
    assert "not valid YAML" in out and "sk-live" not in out and "API_KEY" not in out
