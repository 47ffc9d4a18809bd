"""promtool's output as file:line problems, on output captured from chaos/observe.

``tests/data/rules/captured/<name>.stderr`` is what ``promtool check rules`` (2.42,
from the image) wrote for ``tests/data/rules/<name>.yml`` mounted as
``/rules/0/<name>.yml``; ``tests/data/rules/capture.py`` re-captures it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.lab.observability.promtoolparse import RuleProblem, parse_promtool

RULES = Path(__file__).resolve().parents[1] / "data" / "rules"


def parsed(name: str) -> list[tuple[int | None, str]]:
    stderr = (RULES / "captured" / f"{name}.stderr").read_text()
    problems = parse_promtool(stderr, {f"/rules/0/{name}.yml": RULES / f"{name}.yml"})
    assert {p.file for p in problems} <= {RULES / f"{name}.yml"}
    return [(p.line, p.message) for p in problems]


def exit_code(name: str) -> int:
    return int((RULES / "captured" / f"{name}.rc").read_text())


@pytest.mark.parametrize("name", ["good", "duplicate_rule"])
def test_valid_files_and_lint_notes_are_no_problems(name):
    assert exit_code(name) == 0
    assert parsed(name) == []


def test_a_bad_expression_at_promtools_own_position():
    assert parsed("bad_expr") == [
        (7, 'group "db", rule 2, "DbDown": could not parse expression: 1:16: parse error: '
            'unexpected "="')]


@pytest.mark.parametrize("name, line, message", [
    ("unknown_field", 6, "field forr not found in type rulefmt.RuleNode"),
    ("duplicate_key", 8, 'mapping key "a" already defined at line 7'),
])
def test_unmarshal_errors_one_per_line(name, line, message):
    assert exit_code(name) == 1
    assert parsed(name) == [(line, message)]


def test_not_a_mapping():
    assert [line for line, _m in parsed("not_a_mapping")] == [1, 1]


@pytest.mark.parametrize("name, line, message", [
    # go-yaml says "line 3" (the block that holds the bad line); PyYAML stops at line 6
    ("bad_indent", 6, "yaml: did not find expected '-' indicator"),
    ("unclosed_flow", 3, "yaml: did not find expected ',' or ']'"),
    ("tab", 1, "yaml: found character that cannot start any token"),
])
def test_syntax_errors_once_at_the_line_pyyaml_stops(name, line, message):
    assert parsed(name) == [(line, message)]


def test_a_duration_error_is_found_at_its_value():
    assert parsed("bad_duration") == [(6, 'not a valid duration string: "10x"')]


def test_errors_without_a_position_are_located_in_the_rule():
    assert [line for line, _m in parsed("no_position")] == [
        7,    # the annotation's value: summary: "{{ $labels.instance "
        11,   # the label's key: "0bad"
        12,   # the rule itself (0:0 from promtool): - alert: NoExpr
    ]
    assert [line for line, _m in parsed("mixed")] == [5, 8, 13, 17, 18, 21]


def test_several_errors_in_one_file_keep_promtools_order():
    assert [line for line, _m in parsed("several")] == [5, 6, 8, 11]


def test_quoted_group_and_rule_names():
    [(line, message)] = parsed("quoted_names")
    assert line == 12 and message.startswith('group "db \\"main\\"", rule 2')


def test_several_files_each_problem_names_its_own():
    stderr = (RULES / "captured" / "several-files.stderr").read_text()
    files = {f"/rules/{i}/{n}": RULES / n
             for i, n in enumerate(["good.yml", "bad_expr.yml", "unknown_field.yml"])}
    problems = parse_promtool(stderr, files)
    assert [(p.file.name, p.line) for p in problems] == [("bad_expr.yml", 7),
                                                        ("unknown_field.yml", 6)]
    assert str(problems[1]) == f"{RULES / 'unknown_field.yml'}:6: field forr not found in " \
                               "type rulefmt.RuleNode"


def test_a_problem_without_a_line_prints_the_file_alone(tmp_path: Path):
    assert str(RuleProblem(tmp_path / "x.yml", None, "gone")) == f"{tmp_path / 'x.yml'}: gone"


def test_a_file_path_that_prefixes_another_is_not_confused(tmp_path: Path):
    a, b = tmp_path / "r.yml", tmp_path / "r.yml: x.yml"
    stderr = f"{b}: 3:1: oops\n{a}: 4:1: other\n"
    problems = parse_promtool(stderr, {str(a): a, str(b): b})
    assert [(p.file, p.line, p.message) for p in problems] == [(b, 3, "oops"), (a, 4, "other")]


def test_an_unreadable_file_still_gives_promtools_problem(tmp_path: Path):
    gone = tmp_path / "gone.yml"
    problems = parse_promtool(f'{gone}: group "g", rule 1, "A": invalid label name: 0x\n',
                              {str(gone): gone})
    assert problems == [RuleProblem(gone, None, 'group "g", rule 1, "A": invalid label name: 0x')]
