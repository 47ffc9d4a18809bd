"""What a part cannot run beside is found by ``chaos validate`` (exit 2, file, line,
field), not by the trial after the lab is up (exit 3)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMPOSE = "services:\n  app: {image: a}\n  db: {image: b}\n"
SCENARIO = """\
name: x
lab: {compose: compose.yml}
load: {requests: [{path: /}]}
faults:
  - {type: disk_full, at: 10s, duration: 5s, table: orders}
  - type: %s
    at: 20s
    target: %s
detect: [{type: error_rate, above: 5%%}]
"""


def validate(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "compose.yml").write_text(COMPOSE)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return subprocess.run([sys.executable, "-m", "chaos", "validate", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=REPO)


@pytest.mark.parametrize("restart", ["kill", "stop", "restart"])
def test_disk_full_beside_a_restart_of_the_database_exits_2_at_the_field(tmp_path, restart):
    done = validate(tmp_path, SCENARIO % (restart, "db"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == (
        f"chaos: {tmp_path / 's.yaml'}:8: faults[1].target: '{restart}' of the database cannot be "
        "combined with disk_full: a restart empties the small disk (a tmpfs) and loses the "
        "table on it")


def test_disk_full_beside_a_restart_of_another_service_is_valid(tmp_path):
    done = validate(tmp_path, SCENARIO % ("kill", "app"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("ok (x)\n")
