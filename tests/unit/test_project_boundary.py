"""A scenario may make chaos read only files in its own project, unless the user opts in.

The project is the nearest git checkout holding the scenario (else the directory above
the scenario's);
chaos's own sample (compose file, locustfile, SQL) is always readable.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos import settings
from chaos.errors import ScenarioError
from chaos.sample import COMPOSE_FILE
from chaos.scenario import load_scenario
from tests.cli_helpers import run_main

SCENARIO = """name: boundary
lab: {{compose: {compose}}}
faults:
  - {{type: half_applied_update, at: 10s, script: {script}, fail_at_statement: 1}}
detect:
  - {{type: error_rate, above: 5%}}
time_limit: 1m
load: {{requests: [{{path: /}}]}}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("CHAOS_ALLOW_OUTSIDE_FILES", raising=False)   # for the CLI's own read
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "ci").mkdir()
    (tmp_path / "secret.sql").write_text("UPDATE t SET a = 1;\n")   # outside the checkout
    (repo / "ok.sql").write_text("UPDATE t SET a = 1;\n")
    with settings.override(allow_outside_files=False):
        yield repo


def write(repo: Path, script: str, compose: str = str(COMPOSE_FILE), dirname: str = "ci") -> Path:
    path = repo / dirname / "s.yaml"
    path.write_text(SCENARIO.format(compose=compose, script=script))
    return path


def test_files_in_the_project_and_the_sample_are_read(project: Path):
    scenario = load_scenario(write(project, "../ok.sql"))
    assert scenario.faults[0].params.script == (project / "ok.sql").resolve()


@pytest.mark.parametrize("script", ["../../secret.sql", "{tmp}/secret.sql", "link.sql"])
def test_a_file_outside_the_project_is_refused_with_its_line_and_field(project: Path, script):
    (project / "ci" / "link.sql").symlink_to(project.parent / "secret.sql")   # links followed
    path = write(project, script.format(tmp=project.parent))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    text = str(exc.value)
    assert f"{path}:4: faults[0].script" in text, text
    assert "outside the scenario's project" in text and "--allow-outside-files" in text


def test_a_compose_file_outside_the_project_is_refused(project: Path):
    compose = project.parent / "compose.yml"
    compose.write_text(COMPOSE_FILE.read_text())
    with pytest.raises(ScenarioError) as exc:
        load_scenario(write(project, "../ok.sql", compose=str(compose)))
    assert "lab.compose" in str(exc.value) and "outside the scenario's project" in str(exc.value)


def test_opting_in_reads_it(project: Path):
    path = write(project, "../../secret.sql")
    assert load_scenario(path, allow_outside=True).faults[0].params.script.name == "secret.sql"
    with settings.override(allow_outside_files=True):   # CHAOS_ALLOW_OUTSIDE_FILES=1
        assert load_scenario(path).faults[0].params.script.name == "secret.sql"


def test_the_environment_opts_in_for_the_cli(project: Path, monkeypatch: pytest.MonkeyPatch):
    path = write(project, "../../secret.sql")
    monkeypatch.setenv("CHAOS_ALLOW_OUTSIDE_FILES", "1")
    code, said = run_main(["validate", str(path)])
    assert code == 0, said


def test_the_cli_refuses_then_accepts_with_the_flag(project: Path, monkeypatch):
    monkeypatch.delenv("CHAOS_ALLOW_OUTSIDE_FILES", raising=False)
    path = write(project, "/etc/hostname" if Path("/etc/hostname").exists() else "/etc/passwd")
    code, said = run_main(["validate", str(path)])
    assert code == 2 and "outside the scenario's project" in said, said
    code, said = run_main(["validate", str(path), "--allow-outside-files"])
    assert code == 0, said


def test_outside_a_checkout_the_project_is_the_directory_above_the_scenarios(tmp_path: Path,
                                                                            monkeypatch):
    monkeypatch.delenv("CHAOS_ALLOW_OUTSIDE_FILES", raising=False)
    ex = tmp_path / "deep" / "ex"          # as `chaos example ex` writes it: no .git
    (ex / "scenarios").mkdir(parents=True)
    (ex / "faults").mkdir()
    (ex / "faults" / "ok.sql").write_text("UPDATE t SET a = 1;\n")
    (tmp_path / "secret.sql").write_text("UPDATE t SET a = 1;\n")
    assert load_scenario(write(ex, "../faults/ok.sql", dirname="scenarios"))
    with pytest.raises(ScenarioError, match="outside the scenario's project"):
        load_scenario(write(ex, "../../../secret.sql", dirname="scenarios"))
