"""What cannot run together is found by ``chaos validate`` (exit 2, file, line, field),
not when the lab starts or the trial runs (exit 3): a part beside another part, a lab
option beside the compose file's database service."""

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


def validate(tmp_path: Path, text: str,
             compose: str = COMPOSE) -> subprocess.CompletedProcess[str]:
    (tmp_path / "compose.yml").write_text(compose)
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


LAB_OPTION = """\
name: x
lab:
  compose: compose.yml
  %s: true
load: {requests: [{path: /}]}
faults: [{type: kill, at: 10s, target: db}]
detect: [{type: error_rate, above: 5%%}]
"""


@pytest.mark.parametrize("option", ["wal_archive", "replica"])
@pytest.mark.parametrize("command", ["/usr/local/bin/start-db.sh", "['sh', '-c', 'postgres']"])
def test_a_lab_option_beside_a_db_command_that_is_not_postgres_exits_2(tmp_path, option,
                                                                       command):
    compose = f"services:\n  app: {{image: a}}\n  db: {{image: b, command: {command}}}\n"
    done = validate(tmp_path, LAB_OPTION % option, compose)
    assert done.returncode == 2, done.stdout + done.stderr
    shown = command if command.startswith("/") else "sh -c postgres"
    assert done.stderr.strip() == (
        f"chaos: {tmp_path / 's.yaml'}:4: lab.{option}: service 'db' has the command "
        f"{shown!r}, which does not start postgres, so chaos cannot add the server options "
        f"{option} needs to it; give it `command: postgres ...` or leave the command out")


@pytest.mark.parametrize("command", [None, "postgres -c max_connections=50", "['-c', 'fsync=off']"])
def test_a_db_command_that_starts_postgres_takes_the_options(tmp_path, command):
    db = "{image: b}" if command is None else f"{{image: b, command: {command}}}"
    compose = f"services:\n  app: {{image: a}}\n  db: {db}\n"
    done = validate(tmp_path, LAB_OPTION % "wal_archive", compose)
    assert done.returncode == 0, done.stdout + done.stderr
