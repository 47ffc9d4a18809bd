import re
import shutil
from pathlib import Path

import pytest

from chaos.errors import EXIT_INVALID_INPUT, ScenarioError
from chaos.scenario import Scenario, load_scenario
from chaos.scenario.yamlload import LineMap, load_yaml

DATA = Path(__file__).resolve().parents[1] / "data"
REPO = Path(__file__).resolve().parents[2]
BAD = sorted((DATA / "bad").glob("*.yaml"))


def _header(path: Path) -> dict[str, str]:
    """`# expect: ...` (and optional `# line: N`) comments at the top of a bad file."""
    out = {}
    for raw in path.read_bytes().splitlines()[:2]:
        m = re.match(r"# (expect|line): (.*)", raw.decode("utf-8", "replace"))
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def _error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def test_there_are_enough_bad_files():
    assert len(BAD) >= 25


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_scenario_is_rejected_with_a_located_message(path):
    header = _header(path)
    assert "expect" in header, f"{path.name} needs a '# expect:' first line"
    error = _error(path)
    text = str(error)
    assert header["expect"] in text
    assert error.exit_code == EXIT_INVALID_INPUT
    for line in text.splitlines():
        assert line.startswith(f"{path}:"), line
    hit = next(p for p in error.problems if header["expect"] in str(p))
    if path.stem != "empty-comments-only":
        assert hit.line is not None, str(hit)
        assert str(hit).startswith(f"{path}:{hit.line}: ")
    if "line" in header:
        assert hit.line == int(header["line"]), str(hit)


def test_missing_file():
    error = _error(DATA / "bad" / "no-such-file.yaml")
    assert str(error).endswith("no-such-file.yaml: file not found")


def test_directory(tmp_path):
    error = _error(tmp_path)
    assert str(error) == f"{tmp_path}: is a directory, not a scenario file"


def test_empty_file(tmp_path):
    (tmp_path / "s.yaml").write_text("  \n\n")
    assert "file is empty" in str(_error(tmp_path / "s.yaml"))


def test_all_problems_are_reported_at_once(tmp_path):
    shutil.copy(DATA / "compose.yml", tmp_path / "compose.yml")
    (tmp_path / "s.yaml").write_text(
        "name: many\n"
        "lab: {compose: compose.yml}\n"
        "load: {users: 0}\n"
        "faults:\n"
        "  - {type: kil, at: 1s}\n"
        "  - {type: kill, at: 10m, target: db}\n"
        "detect: [{type: error_rate, above: 200%}]\n"
        "detetc: []\n"
        "targets: {ttx: 1s}\n"
        "time_limit: 1m\n")
    error = _error(tmp_path / "s.yaml")
    where = [(p.line, p.path) for p in error.problems]
    assert where == [(3, "load.users"), (5, "faults[0].type"), (6, "faults[1].at"),
                     (7, "detect[0].above"), (8, "detetc"), (9, "targets.ttx")]


def test_good_minimal_scenario_loads():
    scenario = load_scenario(DATA / "good" / "minimal.yaml")
    assert isinstance(scenario, Scenario)
    assert scenario.faults[0].type == "kill"
    assert scenario.faults[0].params.target == "db"
    assert scenario.faults[0].params.signal == "SIGKILL"
    assert scenario.detect[0].name == "error_rate"  # defaults to the type
    assert scenario.detect[0].params.above == 0.05
    assert scenario.time_limit == 60.0
    assert scenario.lab.app == "app" and scenario.lab.app_port == 8080
    assert scenario.lab.db_name == "app"
    assert scenario.source_path == (DATA / "good" / "minimal.yaml").resolve()
    assert scenario.base_dir == (DATA / "good").resolve()
    assert scenario.compose_file() == (DATA / "compose.yml").resolve()


def test_good_full_scenario_loads():
    s = load_scenario(DATA / "good" / "full.yaml")
    assert [f.type for f in s.faults] == ["half_applied_update", "pause", "kill"]
    assert s.faults[0].params.script == (DATA / "scripts" / "ok.sql").resolve()
    assert s.faults[1].duration == 90.0
    assert s.faults[2].params.signal == "SIGTERM"
    assert s.load.wait == (1.0, 1.0)
    assert [step.type for step in s.recovery.steps] == [
        "restore_backup", "run_sql", "restart", "wait", "restore_backup"]
    assert s.recovery.steps[1].params.transactional is False
    assert s.recovery.steps[3].params.duration == 5.0
    assert s.detect[1].params.percentile == 99
    assert s.detect[3].params.expect == 0
    assert s.targets.error_budget_burned == 0.5
    assert s.abort_if[0].above == 0.9
    assert s.steady_state.error_rate.for_ == 10.0


def test_seed_scenario_is_valid():
    scenario = load_scenario(REPO / "scenarios" / "half-applied-update.yaml")
    assert scenario.faults[0].type == "half_applied_update"
    assert scenario.faults[0].params.fail_at_statement == 4
    assert scenario.recovery.steps[0].type == "restore_backup"
    assert scenario.backups is not None and scenario.backups.every == 30.0
    assert scenario.targets.ttd == 30.0 and scenario.targets.ttr == 120.0


def test_there_is_no_default_lab_the_scenario_names_its_system(tmp_path):
    (tmp_path / "s.yaml").write_text(
        "name: x\nfaults: [{type: kill, at: 1s, target: db}]\nload: {requests: [{path: /}]}\n"
        "detect: [{type: error_rate, above: 5%}]\n")
    assert "lab: missing required field 'lab'" in str(_error(tmp_path / "s.yaml"))
    (tmp_path / "s.yaml").write_text((tmp_path / "s.yaml").read_text() + "lab: {app: web}\n")
    assert "lab.compose: missing required field 'compose'" in str(_error(tmp_path / "s.yaml"))


def test_line_map_falls_back_to_the_nearest_written_parent(tmp_path):
    (tmp_path / "s.yaml").write_text("a:\n  b:\n    - x: 1\n    - y: 2\n")
    data, lines = load_yaml(tmp_path / "s.yaml")
    assert data == {"a": {"b": [{"x": 1}, {"y": 2}]}}
    assert lines.line_for(("a", "b", 1, "y")) == 4
    assert lines.line_for(("a", "b", 1, "missing")) == 4
    assert lines.line_for(("nowhere",)) == 1
    assert LineMap().line_for(("x",)) is None


@pytest.mark.parametrize("content, says", [
    (b"", "the file is empty"), (b"   \n", "the file is empty"),
    (b"SELECT 1;\x00\x01", "binary file"), (b"SELECT '\xff';", "not UTF-8"),
    (b"-- only a comment\n", "holds no SQL statement"),
    (b"SELECT 1;", "fail_at_statement 4 is past the end"),
])
def test_a_half_applied_update_script_that_cannot_be_what_it_says(tmp_path, content, says):
    (tmp_path / "m.sql").write_bytes(content)
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: sql\nlab: {{compose: {REPO / 'compose' / 'docker-compose.yml'}}}\n"
        "load: {users: 1, requests: [{path: /health}]}\n"
        "faults: [{type: half_applied_update, at: 1s, script: m.sql, fail_at_statement: 4}]\n"
        "recovery: {trigger: none}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert says in str(err.value) and "s.yaml:4" in str(err.value), str(err.value)


def test_a_script_that_is_a_fifo_does_not_hang(tmp_path):
    import os

    os.mkfifo(tmp_path / "m.sql")
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: sql\nlab: {{compose: {REPO / 'compose' / 'docker-compose.yml'}}}\n"
        "load: {users: 1, requests: [{path: /health}]}\n"
        "faults: [{type: half_applied_update, at: 1s, script: m.sql, fail_at_statement: 1}]\n"
        "recovery: {trigger: none}\n")
    with pytest.raises(ScenarioError, match="named pipe"):
        load_scenario(path)
