"""Scenario parameters: ``${VAR}`` in a scenario's values, and ``--set key=value``.

    substitute("${APP_IMAGE:-myapp:latest}", {})             # -> "myapp:latest"
    substitute("costs $$5", {})                               # -> "costs $5"
    change = parse_override("faults[0].at=30s")               # or UsageError
    apply_override(data, change)                              # -> ("faults", 0, "at")

The grammar of a value, as docker compose reads it (its subset without ``$VAR``):

    ${NAME}            the variable NAME; an error if it is not set
    ${NAME:-default}   NAME if set and not empty, else ``default`` (text up to the first ``}``)
    $$                 one literal ``$``
    $ anything else    left as written (``$1`` in SQL stays ``$1``)

NAME is ``[A-Za-z_][A-Za-z0-9_]*``. Substituted text is never read again.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from chaos.errors import UsageError
from chaos.redact import MASK, is_secret_key

Loc = tuple[Any, ...]
PathStep = str | int   # a mapping key, or (from ``[N]``) a list index

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REFERENCE = re.compile(rf"\$(?:(?P<dollar>\$)|\{{(?P<name>{_NAME})(?::-(?P<default>[^}}]*))?\}}"
                        rf"|(?P<bad>\{{))")
_SEGMENT = re.compile(r"(?P<key>[^.\[\]]+)(?P<indexes>(?:\[[0-9]+\])*)")
_DIGITS = re.compile(r"[0-9]+")


def substitute(text: str, env: Mapping[str, str]) -> str:
    """``text`` with every ``${...}`` replaced from ``env``; ValueError for an unknown or
    malformed one."""

    def replace(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        if match["bad"]:
            raise ValueError(_malformed(text, match.start()))
        name, default = match["name"], match["default"]
        value = env.get(name)
        if default is not None:
            return value if value else default
        if value is None:
            raise ValueError(f"unknown variable ${{{name}}} (no default; set it in the "
                             f"environment or write ${{{name}:-value}})")
        return value

    return _REFERENCE.sub(replace, text)


def _malformed(text: str, start: int) -> str:
    end = text.find("}", start)
    if end < 0:
        return (f"unterminated variable reference {text[start:start + 40]!r} (no closing '}}'; "
                f"write $$ for a literal $)")
    return (f"malformed variable reference {text[start:end + 1]!r}: write ${{NAME}} or "
            f"${{NAME:-default}} (NAME: letters, digits, _), or $$ for a literal $")


@dataclass(frozen=True)
class Override:
    """One ``--set PATH=VALUE``: the text as given, its path, and its value read as YAML."""

    text: str
    path: tuple[PathStep, ...]
    value: Any

    def covers(self, loc: Loc) -> bool:
        """True if this override replaces ``loc`` or one of its ancestors.

        ``faults.0`` and ``faults[0]`` both cover ``("faults", 0, "at")``: which a digit
        means is only known against the data, so parts compare as text."""
        return len(self.path) <= len(loc) and all(
            str(mine) == str(theirs) for mine, theirs in zip(self.path, loc, strict=False))


def parse_override(text: str) -> Override:
    """``load.users=5`` -> Override(path=("load", "users"), value=5); UsageError if malformed."""
    path_text, eq, value_text = text.partition("=")
    if not eq:
        raise UsageError(f"--set {shown(text)}: expected KEY=VALUE, e.g. --set load.users=5")
    if not path_text.strip():
        raise UsageError(f"--set {shown(text)}: the key before '=' is empty")
    path: list[PathStep] = []
    for segment in path_text.strip().split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise UsageError(f"--set {shown(text)}: cannot read the key {path_text.strip()!r} "
                             f"(write a.b.c, with list items as a.0.b or a[0].b)")
        path.append(match["key"])
        path += [int(i) for i in re.findall(r"[0-9]+", match["indexes"])]
    return Override(text, tuple(path), _read_value(text, value_text))


def shown(text: str) -> str:
    """A ``--set`` text for a message: quoted, its value masked when the key names a secret
    (``--set lab.db_password=...`` must not print the password, whatever went wrong)."""
    key, eq, _ = text.partition("=")
    return repr(f"{key}={MASK}" if eq and is_secret_key(key) else text)


def _read_value(text: str, value: str) -> Any:
    """The value as YAML reads a scalar or a flow ``[...]``/``{...}``; other text as written."""
    flow = value.lstrip().startswith(("[", "{", "'", '"'))
    try:
        parsed = yaml.safe_load(value)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
        # PyYAML's constructors trust a tag: `!!int ten` is a ValueError in there.
        raise UsageError(f"--set {shown(text)}: the value does not fit its YAML tag") from None
    except yaml.YAMLError as exc:
        if not flow:
            return value   # `a: b: c` is no YAML scalar, but plainly meant as this text
        detail = "" if "=" + MASK in shown(text) else f": {getattr(exc, 'problem', None) or exc}"
        raise UsageError(f"--set {shown(text)}: the value is not valid YAML{detail}") from None
    if isinstance(parsed, (dict, list)) and not flow:
        return value   # block YAML (`a: b`, `- x`) is not a value one writes on a command line
    return parsed


def apply_override(data: dict[str, Any], override: Override) -> Loc:
    """Set ``override`` in ``data`` (creating missing mappings); its location, list indexes as
    ints."""
    node: Any = data
    loc: list[PathStep] = []
    for i, part in enumerate(override.path):
        key = _key(node, part, tuple(loc), override)
        loc.append(key)
        if i == len(override.path) - 1:
            node[key] = override.value
            break
        child = node.get(key) if isinstance(node, dict) else node[key]
        if child is None:   # missing, or written empty (`load:`)
            if isinstance(override.path[i + 1], int):
                raise UsageError(f"--set {shown(override.text)}: {_name(tuple(loc))} is not in the "
                                 f"scenario, and --set creates mappings, not lists")
            child = {}
        elif isinstance(child, (dict, list)):
            # YAML aliases share one object between places: change only this one.
            child = copy.copy(child)
        node[key] = child
        node = child
    return tuple(loc)


def _key(node: Any, part: PathStep, loc: Loc, override: Override) -> PathStep:
    where = _name(loc) or "the scenario"
    if isinstance(node, dict):
        if isinstance(part, int):
            raise UsageError(f"--set {shown(override.text)}: {where} is a mapping, not a list")
        return part
    if isinstance(node, list):
        if isinstance(part, str) and not _DIGITS.fullmatch(part):
            raise UsageError(f"--set {shown(override.text)}: {where} is a list; "
                             f"index it with a number, not {part!r}")
        index = int(part)
        if index >= len(node):
            raise UsageError(f"--set {shown(override.text)}: {where} has {len(node)} item(s); "
                             f"index {index} is past the end (indexes start at 0)")
        return index
    value = "" if any(is_secret_key(str(p)) for p in loc) else f" ({node!r:.40})"
    raise UsageError(f"--set {shown(override.text)}: {where} is a single value{value}, "
                     f"not a mapping or list")


def _name(loc: Loc) -> str:
    return dotted(loc)


def dotted(loc: tuple[Any, ...]) -> str:
    """('faults', 0, 'at') -> 'faults[0].at', the way messages name a field."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
