"""``promtool check rules`` output as file:line problems.

promtool (2.42) writes each problem to stderr as ``<file>: <message>``, in four shapes::

    f.yml: 7:15: group "db", rule 2, "DbDown": could not parse expression: 1:16: ...
    f.yml: group "t", rule 1, "X": annotation "summary": template: ...: unclosed action
    f.yml: 0:0: group "t", rule 3, "NoExpr": field 'expr' must be set in rule
    f.yml: yaml: unmarshal errors:
      line 6: field forr not found in type rulefmt.RuleNode
    f.yml: yaml: line 3: did not find expected '-' indicator
    f.yml: not a valid duration string: "10q"

A leading ``line:column:`` is used when it is not ``0:0``. Otherwise the line is found
in the file itself from PyYAML's node marks: the rule a ``group, rule N`` names (its
annotation or label where the message names one), the value a duration error quotes,
or where PyYAML's parser stops on a syntax error (go-yaml often names the line of the
enclosing block instead). Lines that name no file we checked (``Checking``, lint
notes) are not problems.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

import yaml


class RuleProblem(NamedTuple):
    file: Path
    line: int | None   # 1-based; None when neither promtool nor the file says where
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.message}"


_POS = re.compile(r"(\d+):(\d+): ")
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_RULE = re.compile(rf"group {_QUOTED}, rule (\d+), {_QUOTED}: (.*)")
_ANNOTATION = re.compile(rf"annotation {_QUOTED}: ")
_LABEL = re.compile(r"invalid label name: (.*)")
_DURATION = re.compile(rf"not a valid duration string: {_QUOTED}")
_YAML_LINE = re.compile(r"yaml: line (\d+): (.*)")
_CONTINUED = re.compile(r"\s+line (\d+): (.*)")


def parse_promtool(stderr: str, files: Mapping[str, Path]) -> list[RuleProblem]:
    """The problems in promtool's stderr; ``files`` maps each path as promtool was given
    it to the file to report (and to read when promtool names no line)."""
    out: list[RuleProblem] = []
    prefixes = sorted(files, key=len, reverse=True)
    unmarshal: Path | None = None   # the file whose "unmarshal errors:" lines follow
    for raw in stderr.splitlines():
        line = raw.rstrip()
        cont = _CONTINUED.fullmatch(line)
        if unmarshal is not None and cont:
            out.append(RuleProblem(unmarshal, int(cont[1]), cont[2]))
            continue
        unmarshal = None
        seen = next((p for p in prefixes if line.startswith(p + ": ")), None)
        if seen is None:
            continue
        path, rest = files[seen], line[len(seen) + 2:]
        if rest == "yaml: unmarshal errors:":
            unmarshal = path
            continue
        out.append(_problem(path, rest))
    return list(dict.fromkeys(out))   # go-yaml syntax errors come twice


def _problem(path: Path, rest: str) -> RuleProblem:
    line: int | None = None
    while m := _POS.match(rest):
        if line is None and int(m[1]) > 0:
            line = int(m[1])
        rest = rest[m.end():]
    if line is not None:
        return RuleProblem(path, line, rest)
    text = _read(path)
    if (m := _RULE.match(rest)) is not None:
        line = _rule_line(text, _unquote(m[1]), int(m[2]), _unquote(m[3]), m[4])
    elif (m := _DURATION.match(rest)) is not None:
        line = _value_line(text, _unquote(m[1]))
    elif (m := _YAML_LINE.match(rest)) is not None:
        line = _syntax_line(text) or int(m[1])
        rest = f"yaml: {m[2]}"
    elif rest.startswith("yaml: "):
        line = _syntax_line(text)
    return RuleProblem(path, line, rest)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _unquote(s: str) -> str:
    try:
        return str(json.loads(f'"{s}"'))
    except ValueError:
        return s


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _get(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
    return None


def _rules_of(root: yaml.Node | None, group: str) -> Iterator[list[yaml.Node]]:
    groups = _get(root, "groups")
    if groups is None or not isinstance(groups[1], yaml.SequenceNode):
        return
    for g in groups[1].value:
        name, rules = _get(g, "name"), _get(g, "rules")
        if name and name[1].value == group and rules and isinstance(rules[1], yaml.SequenceNode):
            yield rules[1].value


def _rule_line(text: str, group: str, index: int, name: str, message: str) -> int | None:
    """The rule ``index`` (1-based) of the group called ``group`` (the first such group
    whose rule has that name, if names repeat), or the part of it the message names."""
    candidates = [rules[index - 1] for rules in _rules_of(_compose(text), group)
                  if 0 < index <= len(rules)]
    named = [r for r in candidates
             if any((kv := _get(r, k)) and kv[1].value == name for k in ("alert", "record"))]
    if not (named or candidates):
        return None
    rule = target = (named or candidates)[0]
    if (m := _ANNOTATION.match(message)) and (kv := _get(_get_value(rule, "annotations"),
                                                         _unquote(m[1]))):
        target = kv[1]
    elif (m := _LABEL.match(message)) and (kv := _get(_get_value(rule, "labels"), m[1])):
        target = kv[0]
    elif message.startswith("could not parse expression") and (kv := _get(rule, "expr")):
        target = kv[1]
    return int(target.start_mark.line) + 1


def _get_value(node: yaml.Node, key: str) -> yaml.Node | None:
    kv = _get(node, key)
    return kv[1] if kv else None


def _value_line(text: str, value: str) -> int | None:
    """The first line holding a mapping value that is the scalar ``value``."""
    lines = []
    root = _compose(text)
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            lines += [v.start_mark.line + 1 for _k, v in node.value
                      if isinstance(v, yaml.ScalarNode) and v.value == value]
            stack.extend(v for _k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return int(min(lines)) if lines else None


def _syntax_line(text: str) -> int | None:
    """Where PyYAML's parser stops, if it too finds the file malformed."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return int(mark.line) + 1 if mark is not None else None
    except yaml.YAMLError:
        return None
    return None
