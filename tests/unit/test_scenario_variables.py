import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from chaos import cli
from chaos.errors import EXIT_INVALID_INPUT, ScenarioError, UsageError
from chaos.scenario import load_scenario
from chaos.scenario.variables import apply_override, parse_override, substitute
from chaos.scenario.yamlload import load_yaml

DATA = Path(__file__).resolve().parents[1] / "data"

MINIMAL = """\
name: vars
lab: {compose: compose.yml}
load:
  requests: [{path: /health}]
faults:
  - type: kill
    at: 10s
    target: db
detect:
  - type: error_rate
    above: 5%
"""


@pytest.fixture
def scenario_file(tmp_path):
    """Write a scenario (beside a stand-in compose file) and return its path."""
    shutil.copy(DATA / "compose.yml", tmp_path / "compose.yml")

    def write(text: str = MINIMAL) -> Path:
        path = tmp_path / "s.yaml"
        path.write_text(text)
        return path

    return write


def _error(path: Path, **kwargs) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kwargs)
    return info.value


# --- the grammar --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("${A}", "x"),
    ("image: ${A}:latest", "image: x:latest"),
    ("${A:-d}", "x"),
    ("${UNSET:-myapp:latest}", "myapp:latest"),
    ("${EMPTY:-d}", "d"),            # like compose: an empty value takes the default
    ("${EMPTY}", ""),
    ("${UNSET:-}", ""),
    ("costs $$5", "costs $5"),
    ("$${A}", "${A}"),               # escaped: never read again
    ("$$$${A}", "$${A}"),
    ("$1 and $A and $", "$1 and $A and $"),   # only ${...} and $$ are special
    ("${A}${A}", "xx"),
])
def test_substitute(text, expected):
    assert substitute(text, {"A": "x", "EMPTY": ""}) == expected


def test_unknown_variable_says_how_to_fix_it():
    with pytest.raises(ValueError) as info:
        substitute("${APP_IMAGE}", {})
    assert str(info.value) == ("unknown variable ${APP_IMAGE} (no default; set it in the "
                               "environment or write ${APP_IMAGE:-value})")


@pytest.mark.parametrize("text, expected", [
    ("${", "unterminated"), ("a ${A", "unterminated"), ("${1A}", "malformed"),
    ("${}", "malformed"), ("${A:?x}", "malformed"), ("${A-x}", "malformed"),
])
def test_malformed_reference(text, expected):
    with pytest.raises(ValueError, match=expected):
        substitute(text, {"A": "x"})


# --- in a scenario file -------------------------------------------------------------------

def test_variables_fill_a_scenario(scenario_file):
    path = scenario_file(MINIMAL.replace("name: vars", "name: ${NAME:-unnamed}")
                         .replace("at: 10s", "at: ${AT}"))
    scenario = load_scenario(path, env={"AT": "30s"})
    assert scenario.name == "unnamed"
    assert scenario.faults[0].at == 30.0


def test_environment_is_the_default(scenario_file, monkeypatch):
    monkeypatch.setenv("CHAOS_TEST_NAME", "from-env")
    path = scenario_file(MINIMAL.replace("name: vars", "name: ${CHAOS_TEST_NAME}"))
    assert load_scenario(path).name == "from-env"


def test_plain_scalars_are_typed_again_quoted_ones_stay_text(tmp_path):
    (tmp_path / "s.yaml").write_text(
        "plain: ${N:-20}\n"
        "quoted: '${N:-20}'\n"
        "double: \"${N:-20}\"\n"
        "tagged: !!str ${N:-20}\n"
        "flag: ${F:-true}\n"
        "empty: ${E:-}\n"
        "empty_quoted: '${E:-}'\n"
        "block: |\n  ${N:-20}\n"
        "not_a_list: ${L}\n")
    data, _ = load_yaml(tmp_path / "s.yaml", env={"L": "[1, 2]"})
    assert data == {"plain": 20, "quoted": "20", "double": "20", "tagged": "20", "flag": True,
                    "empty": None, "empty_quoted": "", "block": "20\n", "not_a_list": "[1, 2]"}


def test_comments_and_keys_are_not_substituted(tmp_path):
    (tmp_path / "s.yaml").write_text(
        "# ${NOT_SET} in a comment is left alone\n"
        "${KEY}: 1  # ${NOR} here\n"
        "a:\n"
        "  b: ${V}\n")
    data, lines = load_yaml(tmp_path / "s.yaml", env={"V": "one\ntwo", "KEY": "k"})
    assert data == {"${KEY}": 1, "a": {"b": "one\ntwo"}}   # a newline in a value is fine
    assert lines.line_for(("a", "b")) == 4                   # lines are the file's


def test_an_alias_is_substituted_once(tmp_path):
    (tmp_path / "s.yaml").write_text("a: &x 'costs $${V}'\nb: *x\n")
    data, _ = load_yaml(tmp_path / "s.yaml", env={"V": "no"})
    assert data == {"a": "costs ${V}", "b": "costs ${V}"}


def test_unknown_variables_are_located(scenario_file):
    path = scenario_file(MINIMAL.replace("at: 10s", "at: ${AT}")
                         .replace("above: 5%", "above: ${RATE:-5%}")
                         .replace("path: /health", "path: '/${PREFIX'"))
    error = _error(path, env={})
    assert error.exit_code == EXIT_INVALID_INPUT
    where = [(p.line, p.path) for p in error.problems]
    assert where == [(4, "load.requests[0].path"), (7, "faults[0].at")]   # all at once
    assert str(error.problems[1]) == (
        f"{path}:7: faults[0].at: unknown variable ${{AT}} (no default; set it in the "
        "environment or write ${AT:-value})")
    assert "unterminated" in error.problems[0].message


# --- --set --------------------------------------------------------------------------------

def test_override_value_is_read_as_yaml(scenario_file):
    scenario = load_scenario(scenario_file(), overrides=["load.users=5", "name=x.yml",
                                                         "lab.app_port=9090"])
    assert scenario.load.users == 5
    assert scenario.name == "x.yml"
    assert scenario.lab.app_port == 9090


@pytest.mark.parametrize("override", ["faults.0.at=30s", "faults[0].at=30s"])
def test_override_a_list_item_either_way(scenario_file, override):
    assert load_scenario(scenario_file(), overrides=[override]).faults[0].at == 30.0


def test_override_creates_missing_mappings(scenario_file):
    scenario = load_scenario(scenario_file(), overrides=["targets.ttd=45s"])
    assert scenario.targets.ttd == 45.0


def test_override_replaces_an_unknown_variable(scenario_file):
    path = scenario_file(MINIMAL.replace("at: 10s", "at: ${AT}"))
    assert load_scenario(path, env={}, overrides=["faults[0].at=5s"]).faults[0].at == 5.0


def test_a_bad_overridden_value_names_the_line_and_the_flag(scenario_file):
    path = scenario_file(MINIMAL.replace("  requests:", "  users: 10\n  requests:"))
    error = _error(path, overrides=["load.users=0"])
    [problem] = error.problems
    assert (problem.line, problem.path) == (4, "load.users")
    assert problem.message.endswith("(got 0) (set by --set)")
    [problem] = _error(path, overrides=["lab.typo.deep=1"]).problems
    assert problem.path == "lab.typo" and problem.message.endswith("(set by --set)")


@pytest.mark.parametrize("override, expected", [
    ("load.users", "expected KEY=VALUE"),
    ("=5", "the key before '=' is empty"),
    ("load..users=5", "cannot read the key"),
    ("faults[x].at=1s", "cannot read the key"),
    ("faults[1].at=1s", "faults has 1 item(s); index 1 is past the end"),
    ("faults.first.at=1s", "faults is a list; index it with a number"),
    ("name.first=1", "name is a single value"),
    ("lab[0]=1", "lab is a mapping, not a list"),
    ("nothing[0].x=1", "nothing is not in the scenario"),
    ("load.users=[1,", "the value is not valid YAML"),
])
def test_bad_override_is_a_usage_error(scenario_file, override, expected):
    with pytest.raises(UsageError) as info:
        load_scenario(scenario_file(), overrides=[override])
    assert str(info.value).startswith(f"--set {override!r}: ")
    assert expected in str(info.value)
    assert info.value.exit_code == EXIT_INVALID_INPUT


def test_override_text_that_is_not_a_yaml_scalar_is_kept_as_written():
    assert parse_override("description=a: b").value == "a: b"
    assert parse_override("x='5'").value == "5"
    assert parse_override("x={a: 1}").value == {"a": 1}


def test_override_changes_only_the_aliased_place_it_names():
    shared = {"k": 1}
    data = {"a": shared, "b": shared}
    assert apply_override(data, parse_override("a.k=2")) == ("a", "k")
    assert data == {"a": {"k": 2}, "b": {"k": 1}}


# --- the command line ---------------------------------------------------------------------

def _chaos(argv: list[str]) -> tuple[int, str]:
    runner = CliRunner()
    with runner.isolation() as (out, err, *_):
        try:
            cli.main(argv)
        except SystemExit as exc:
            code = exc.code
        return code, out.getvalue().decode() + err.getvalue().decode()


def test_validate_names_the_line_of_an_unknown_variable(scenario_file, monkeypatch):
    monkeypatch.delenv("CHAOS_TEST_AT", raising=False)
    path = scenario_file(MINIMAL.replace("at: 10s", "at: ${CHAOS_TEST_AT}"))
    code, output = _chaos(["validate", str(path)])
    assert code == EXIT_INVALID_INPUT
    assert f"{path}:7: faults[0].at: unknown variable ${{CHAOS_TEST_AT}}" in output
    code, output = _chaos(["validate", str(path), "--set", "faults[0].at=20s"])
    assert (code, output.strip()) == (0, f"{path}: ok (vars)")
    code, output = _chaos(["validate", str(path), "--set", "faults[0].at"])
    assert code == EXIT_INVALID_INPUT and "expected KEY=VALUE" in output
