"""`chaos run --junit FILE` writes a failed test case whatever the exit: 2, 3 or 1.

CI reads junit.xml to decide what went red; a run that dies before its targets
are evaluated must not leave the file missing (or an old green one in place).
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

COMPOSE = """services:
  app:
    image: chaos-missing/app:none
    healthcheck: {test: ["CMD", "true"]}
    ports: ["127.0.0.1::8000"]
  db:
    image: chaos/db:latest
"""
SCENARIO = """name: junit on failure
lab: {compose: compose.yml}
faults:
  - {type: kill, at: 10s, target: db}
detect:
  - {type: error_rate, above: 5%}
time_limit: 1m
load: {requests: [{path: /}]}
"""


def chaos(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaos", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def error_case(path: Path) -> ET.Element:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None and suite.get("errors") == "1", ET.tostring(ET.parse(path).getroot())
    case = next(c for c in suite.iter("testcase") if c.get("name") == "run")
    error = case.find("error")
    assert error is not None
    return error


@pytest.mark.docker
def test_a_lab_that_cannot_start_exits_3_with_a_junit_error(tmp_path, lab_images):
    (tmp_path / "compose.yml").write_text(COMPOSE)
    (tmp_path / "s.yaml").write_text(SCENARIO)
    done = chaos("run", "s.yaml", "--out", "run", "--junit", "ci/junit.xml", cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    error = error_case(tmp_path / "ci" / "junit.xml")
    message = error.get("message") or ""
    assert "run did not complete" in message and "LabError" in message, message
    assert "chaos-missing/app" in message          # the reason, not just "failed"
    assert "Traceback" not in done.stderr


def test_an_invalid_scenario_exits_2_with_a_junit_error_naming_the_field(tmp_path):
    (tmp_path / "compose.yml").write_text(COMPOSE)
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("time_limit: 1m", "time_limit: soon"))
    done = chaos("run", "s.yaml", "--junit", "junit.xml", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    message = error_case(tmp_path / "junit.xml").get("message") or ""
    assert "time_limit" in message and "s.yaml" in message, message
