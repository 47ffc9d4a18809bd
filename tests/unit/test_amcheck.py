"""An Alertmanager configuration is checked at validation (issue #28): its shape in
Python at its FILE:LINE, then by ``amtool check-config``, its findings reported with
the schema's problems (exit 2), never first at lab start (exit 3).

The host's amtool (Debian's prometheus-alertmanager) is needed by the tests that run
it: skipped without it, failing when ``CI=true`` (``tests/needs.py``). The shape
checks are in the hostile-input sweep (``am_config_*``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaos.lab.observability.amcheck import _findings
from tests.cli_helpers import run_main
from tests.needs import need_tool

COMPOSE = "services:\n  app: {image: chaos/app:latest}\n  db: {image: chaos/db:latest}\n"
SCENARIO = """\
name: alerting
lab:
  compose: compose.yml
load:
  requests:
    - path: /items
faults:
  - {type: kill, at: 10s, target: db}
recovery: {trigger: none}
observe:
  prometheus:
    targets: [{service: app, port: 8080}]
    alertmanager:
      config: am.yml
"""
GOOD = "route:\n  receiver: team\n  group_wait: 10s\nreceivers:\n  - name: team\n"


def scenario(tmp_path: Path, am: str, extra: str = "") -> Path:
    (tmp_path / "compose.yml").write_text(COMPOSE)
    (tmp_path / "am.yml").write_text(am)
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + extra)
    return path


def validate(path: Path) -> tuple[int, str]:
    return run_main(["validate", str(path), "--allow-outside-files"])


def test_amtools_findings_are_reported_at_the_configurations_line(tmp_path):
    need_tool("amtool", package="prometheus-alertmanager")
    am = tmp_path / "am.yml"
    code, out = validate(scenario(tmp_path, GOOD.replace("10s", "soon")))
    assert code == 2, out
    assert f"{am}:3: amtool check-config: not a valid duration string" in out, out
    code, out = validate(scenario(tmp_path, GOOD.replace("receiver: team", "receiver: pager")))
    assert code == 2 and f'{am}:2: amtool check-config: undefined receiver "pager"' in out, out


def test_amtools_findings_and_the_schemas_are_reported_together(tmp_path):
    need_tool("amtool", package="prometheus-alertmanager")
    code, out = validate(scenario(tmp_path, GOOD.replace("10s", "soon"), extra="bogus: 1\n"))
    assert code == 2, out
    assert "bogus: unknown field 'bogus'" in out and "not a valid duration string" in out, out


def test_a_valid_configuration_passes_amtool(tmp_path):
    need_tool("amtool", package="prometheus-alertmanager")
    code, out = validate(scenario(tmp_path, GOOD))
    assert code == 0 and ": ok (alerting)" in out and "note" not in out, out


def test_without_amtool_validation_says_it_was_not_checked(tmp_path, monkeypatch):
    from chaos.errors import LabError
    from chaos.lab.observability import amcheck

    def no_amtool(files: list[Path], log: Any = None) -> list[Any]:
        raise LabError("no amtool on PATH and no observability image")

    monkeypatch.setattr(amcheck, "config_problems", no_amtool)
    code, out = validate(scenario(tmp_path, GOOD.replace("10s", "soon")))
    assert code == 0, out
    assert "note: its Alertmanager configuration was not checked by amtool (no amtool" in out


def test_amtool_output_as_problems_with_the_hosts_file(tmp_path):
    host = tmp_path / "am.yml"
    host.write_text("- a\n")
    out = ("Checking '/config/0/am.yml'  FAILED: yaml: unmarshal errors:\n"
           "  line 1: cannot unmarshal !!seq into config.plain\n\n")
    (problem,) = _findings(out, {"/config/0/am.yml": host})
    assert problem.file == str(host) and problem.line == 1
    assert problem.message == ("amtool check-config: yaml: unmarshal errors: line 1: cannot "
                               "unmarshal !!seq into config.plain")
    ok = "Checking '/config/0/am.yml'  SUCCESS\nFound:\n - global config\n - route\n"
    assert _findings(ok, {"/config/0/am.yml": host}) == []
