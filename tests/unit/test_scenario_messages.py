"""The classes of unclear message and leaked secret fixed in issue 15, one fast test each.

The wide coverage is ``test_hostile_sweep.py`` (slow); these pin the mechanisms.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from chaos import settings
from chaos.errors import Problem, ScenarioError
from chaos.redact import Redacted, is_secret_key, redact
from chaos.scenario import load_scenario

COMPOSE = "services:\n  app: {image: a}\n  db: {image: b}\n"
BASE = """\
name: x
lab: {compose: compose.yml}
load: {requests: [{path: /}]}
faults: [{type: kill, at: 10s, target: db}]
detect: [{type: error_rate, above: 5%}]
"""


def problems(tmp_path: Path, text: str, compose: str = COMPOSE) -> list[str]:
    (tmp_path / "compose.yml").write_text(compose)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p).removeprefix(f"{path}:") for p in info.value.problems]


def test_a_non_string_key_is_named_as_written_at_its_line(tmp_path):
    assert problems(tmp_path, BASE + "on: 1\n42: x\n") == [
        "6: key 'on' is read as a boolean: keys must be strings; quote it (\"on\": ...)",
        "7: key '42' is read as a number: keys must be strings; quote it (\"42\": ...)"]


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_separators_do_not_shift_line_numbers(tmp_path, char):
    text = f"# one {char} two: three\n" + BASE + "bogus: 1\n"
    (line,) = problems(tmp_path, text)
    assert line.startswith("7: bogus: unknown field"), line


def test_a_value_that_does_not_fit_its_tag_has_its_line_and_field(tmp_path):
    text = BASE.replace("at: 10s", "at: !!int ten")
    assert problems(tmp_path, text) == ["4: faults[0].at: 'ten' cannot be read as !!int"]


def test_nan_and_infinity_are_named(tmp_path):
    text = BASE.replace("at: 10s", "at: .nan").replace("above: 5%", "above: -.inf")
    assert problems(tmp_path, text) == [
        "4: faults[0].at: NaN is not a number chaos accepts; write a finite value",
        "5: detect[0].above: -infinity is not a number chaos accepts; write a finite value"]


def test_an_empty_document_is_called_empty(tmp_path):
    (line,) = problems(tmp_path, "--- ~\n")
    assert "empty" in line and "NoneType" not in line


def test_a_union_is_one_line_naming_the_allowed_types(tmp_path):
    text = BASE + "invariants: [{name: a, query: SELECT 1, expect: [1, 2]}]\n"
    assert problems(tmp_path, text) == [
        "6: invariants[0].expect: expected text, a whole number, a number or true/false, "
        "got a list"]


def test_a_pattern_mismatch_shows_the_text_as_written(tmp_path):
    text = BASE.replace("{compose: compose.yml}", "{compose: compose.yml, health_path: 'x{a}'}")
    (line,) = problems(tmp_path, text)
    assert line.endswith("(got 'x{a}')"), line


@pytest.mark.parametrize("value", ["83749283749", "[hunter2hunter2]", "{a: hunter2hunter2}",
                                   "!!int hunter2hunter2"])
def test_the_value_of_a_secret_field_is_never_shown(tmp_path, value):
    text = BASE.replace("{compose: compose.yml}", f"{{compose: compose.yml, db_password: {value}}}")
    (line,) = problems(tmp_path, text)
    assert line.startswith("2: lab.db_password: ")
    assert "83749283749" not in line and "hunter2" not in line


def test_redaction_masks_values_not_words():
    error = ScenarioError([Problem("s.yaml", 2, "lab.db_password", "input should be text"),
                           Problem("s.yaml", 3, "lab.app", "bad: password=s3cret-value")])
    text = redact(error)
    assert isinstance(str(error), Redacted)
    assert text == ("s.yaml:2: lab.db_password: input should be text\n"
                    "s.yaml:3: lab.app: bad: password=***")
    # Elsewhere (logs, records) the YAML shape is still masked.
    assert redact("POSTGRES_PASSWORD: s3cret") == "POSTGRES_PASSWORD: ***"


def test_secret_like_names():
    assert all(map(is_secret_key, ["db_password", "Authorization", "X-Api-Key", "api_token"]))
    assert not any(map(is_secret_key, ["input", "db_user", "name", "path"]))


def test_a_compose_file_with_a_yaml_error_is_never_quoted(tmp_path):
    compose = "services:\n  app:\n    environment: {API_KEY: sk-live-123456}\n  db: [\n"
    (line,) = problems(tmp_path, BASE, compose)
    assert "not valid YAML" in line and "sk-live" not in line and "API_KEY" not in line


@pytest.mark.parametrize("kind", ["dir", "fifo", "device"])
def test_a_file_that_is_not_a_regular_file_says_what_it_is(tmp_path, kind):
    import os

    target = tmp_path / "thing"
    if kind == "dir":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    text = BASE.replace("compose.yml}", "thing}")
    with settings.override(allow_outside_files=True):   # CHAOS_ALLOW_OUTSIDE_FILES=1
        (line,) = problems(tmp_path, text)
    word = {"dir": "a directory", "fifo": "a named pipe (FIFO)", "device": "a device"}[kind]
    assert word in line and "not found" not in line, line


def test_matplotlib_warnings_do_not_reach_stderr():
    from matplotlib.figure import Figure

    from chaos.report import charts, figfiles

    for module, name in [(charts, n) for n in ("trial_figure", "trial_row_figure",
                                               "trials_figure", "distribution_figure",
                                               "main_figure")] + [(figfiles, "svg"),
                                                                  (figfiles, "png")]:
        assert hasattr(getattr(module, name), "__wrapped__"), f"{name} is not quieted"

    @figfiles.quiet
    def degenerate() -> bytes:
        fig = Figure()
        fig.add_subplot().set_xlim(1, 1)   # matplotlib warns: identical limits
        return b""

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        degenerate()
