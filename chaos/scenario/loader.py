"""``load_scenario``: a file in, a validated ``Scenario`` or one ``ScenarioError`` out."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from chaos import settings
from chaos.errors import ChaosError, Problem, ScenarioError
from chaos.redact import is_secret_key
from chaos.sample import SAMPLE_DIR
from chaos.scenario.duration import parse_duration
from chaos.scenario.model import Scenario
from chaos.scenario.observesection import valid_alertmanager_configs, valid_rule_files
from chaos.scenario.variables import apply_override, dotted, parse_override
from chaos.scenario.yamlload import LineMap, kind_of, load_yaml
from chaos.userfiles import BadFile, check_inside, project_root, read_text, resolve

# A compose file is a page of YAML; 2 MB is far beyond any real one and reads at once.
MAX_COMPOSE_BYTES = 2_000_000

#: Checks files the scenario names with a tool from a layer above (promtool on the rule
#: files, amtool on the Alertmanager configuration): their problems.
RuleCheck = Callable[[list[Path]], list[Problem]]

# pydantic error types whose message reads better with the offending value appended.
_SHOW_VALUE = {
    "int_parsing", "int_type", "int_from_float", "float_parsing", "float_type",
    "bool_parsing", "bool_type", "string_type", "literal_error", "greater_than",
    "greater_than_equal", "less_than", "less_than_equal", "string_too_short",
    "string_pattern_mismatch",
}
# How pydantic labels the members of a union in an error's location, and what to call them.
_MEMBERS = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true/false",
            "none": "null", "list": "a list", "dict": "a mapping"}
_PREFIXES = ("Value error, ", "Assertion failed, ")


def load_scenario(path: str | Path, *, overrides: Sequence[str] = (),
                  env: Mapping[str, str] | None = None,
                  allow_outside: bool | None = None,
                  rule_check: RuleCheck | None = None,
                  config_check: RuleCheck | None = None) -> Scenario:
    """Load and validate a scenario file; raise ``ScenarioError`` with every problem found.

        load_scenario("s.yaml", overrides=["load.users=5", "faults[0].at=30s"])

    ``${VAR}`` references come from ``env`` (default ``os.environ``); ``overrides`` are
    ``--set`` texts, applied to the data before validation (a malformed one: ``UsageError``).
    Files the scenario names must lie in its project (``chaos.userfiles.project_root``) or
    in chaos's own sample, unless ``allow_outside`` (default: the setting
    ``allow_outside_files``, ``CHAOS_ALLOW_OUTSIDE_FILES=1``, ``chaos.settings``).
    ``rule_check`` is given the rule files that are valid on their own, even when the rest
    is not, and its problems join the schema's in the one ``ScenarioError``;
    ``config_check`` likewise the Alertmanager configuration (amtool).
    """
    name = str(path)
    changes = [parse_override(text) for text in overrides]
    data, lines = load_yaml(path, env, replaced=lambda loc: any(c.covers(loc) for c in changes))
    set_paths = [where for change in changes
                 for where in _written_by_flag(apply_override(data, change), lines)]
    base = Path(path).resolve().parent
    roots = None if _allowed_outside(allow_outside) else (project_root(base), SAMPLE_DIR)
    problems: list[Problem] = []
    services = _compose_services(data, base, lines, name, problems, roots)
    context = {"base_dir": base, "services": None if services is None else set(services),
               "compose_services": services, "time_limit": _time_limit(data),
               "allowed_roots": roots}
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        problems += [_problem(e, lines, name) for e in _merge_unions(exc.errors())]
    problems = sorted((_set_by_flag(p, set_paths) for p in problems), key=lambda p: p.line or 0)
    if rule_check is not None:   # after the scenario's own, in the checker's order
        problems += _checked_rules(rule_check, valid_rule_files(data, context), problems)
    if config_check is not None:
        problems += _checked_rules(config_check, valid_alertmanager_configs(data, context),
                                   problems, "it was")
    if problems:
        raise ScenarioError(problems)
    scenario._source_path = Path(path).resolve()
    return scenario


def _checked_rules(check: RuleCheck, files: list[Path], problems: list[Problem],
                   what: str = "its rules were") -> list[Problem]:
    if not files:
        return []
    try:
        return check(files)
    except ChaosError as exc:
        if not problems:
            raise
        # The schema's problems are not to be hidden behind a checker that could not run.
        return [Problem(str(files[0]), None, "", f"{what} not checked: {exc}")]


def _allowed_outside(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return settings.current().allow_outside_files


def _written_by_flag(loc: tuple[Any, ...], lines: LineMap) -> list[str]:
    """Field paths that one ``--set`` wrote: its own, and each parent it had to create."""
    return [dotted(loc[:end]) for end in range(1, len(loc) + 1)
            if end == len(loc) or loc[:end] not in lines.lines]


def _set_by_flag(problem: Problem, set_paths: list[str]) -> Problem:
    """Say so when the field at fault (or a mapping holding it) came from ``--set``, not the
    file."""
    path = problem.path
    if any(path == p or path.startswith((p + ".", p + "[")) for p in set_paths):
        return dataclasses.replace(problem, message=f"{problem.message} (set by --set)")
    return problem


def _time_limit(data: dict[str, Any]) -> float | None:
    try:
        return parse_duration(data.get("time_limit", 300))
    except ValueError:
        return None  # reported by the schema; only cross-checks are skipped


def _compose_services(data: dict[str, Any], base: Path, lines: LineMap, name: str,
                      problems: list[Problem],
                      roots: tuple[Path, ...] | None = None) -> dict[str, Any] | None:
    """The services of the lab's compose file by name, or None (and a problem) if
    unreadable."""
    lab = data.get("lab")
    compose = lab.get("compose") if isinstance(lab, dict) else None
    if not isinstance(compose, str) or not compose:
        return None  # the schema reports it missing or of the wrong type
    loc = ("lab", "compose")

    def problem(message: str) -> None:
        problems.append(Problem(name, lines.line_for(loc), dotted(loc), message))

    file: Path | str = compose
    try:
        file = path = resolve(base / compose)
        check_inside(path, roots)
        doc = yaml.safe_load(read_text(path, MAX_COMPOSE_BYTES))
    except BadFile as exc:
        if exc.message == "file not found":
            problem(f"compose file not found: {file}")
        else:
            where = f" (line {exc.line})" if exc.line else ""
            problem(f"compose file {str(file)[:120]}: {exc.message}{where}")
        return None
    except (OSError, ValueError) as exc:
        problem(f"compose file {str(file)[:120]}: {str(exc)[:200]}")
        return None
    except (RecursionError, yaml.YAMLError) as exc:
        # Never the file's content: a compose file may hold secrets (an API key...).
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem(f"compose file {str(file)[:120]} is not valid YAML{line}")
        return None
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict) or not services:
        problem(f"compose file {file} defines no services")
        return None
    return {str(s): service for s, service in services.items()}


def _merge_unions(errors: list[Any]) -> list[Any]:
    """One error per field where pydantic gives one per member of a union
    (``expect.str``, ``expect.int``, ...): "expected text, a whole number or ..."."""
    out: list[Any] = []
    groups: dict[tuple[Any, ...], list[str]] = {}
    for e in errors:
        loc = tuple(e["loc"])
        member = str(loc[-1]).split("[", 1)[0] if loc else ""
        if loc and member in _MEMBERS and e["type"].endswith(("_type", "_parsing")):
            if loc[:-1] not in groups:
                groups[loc[:-1]] = []
                out.append({**e, "loc": loc[:-1], "type": "union_members"})
            groups[loc[:-1]].append(_MEMBERS[member])
        else:
            out.append(e)
    for e in out:
        if e["type"] == "union_members":
            names = list(dict.fromkeys(groups[tuple(e["loc"])]))
            allowed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
            e["msg"] = f"expected {allowed}, got {_kind(e.get('input'))}"
    return out


# pydantic's own markers in a location: a dict's key (``[key]``), a validator's
# (``function-after[...]``). Never the user's field; the location already names the key.
_MARKERS = {"[key]"}


def _problem(error: Any, lines: LineMap, name: str) -> Problem:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and _is_marker(p)))
    return Problem(name, lines.line_for(loc), dotted(tuple(_escaped(p) for p in loc)),
                   _message(error))


def _is_marker(part: str) -> bool:
    return part in _MARKERS or (part.endswith("]") and part.startswith(
        ("function-after[", "function-before[", "function-wrap[", "function-plain[")))


def _escaped(part: Any) -> Any:
    """A key as a field path shows it: a line break or a control character in a key
    (``"X-A\\r\\nB"``) as an escape, so that one problem stays one line."""
    if isinstance(part, str) and not part.isprintable():
        return part.encode("unicode_escape").decode("ascii")
    return part


def _message(error: Any) -> str:
    kind, value = error["type"], error.get("input")
    msg: str = error["msg"]
    for prefix in _PREFIXES:
        msg = msg.removeprefix(prefix)
    if isinstance(value, float) and not math.isfinite(value):
        what = "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "infinity"
        return f"{what} is not a number chaos accepts; write a finite value"
    if any(isinstance(part, str) and is_secret_key(part) for part in error["loc"]):
        # Never the value of a secret field, whatever its type (a password of digits...).
        if kind in ("string_type", "union_members"):
            return f"must be text, got {_kind(value, secret=True)} (the value is not shown)"
        return _lower_first(msg)
    if kind == "missing" and msg == "Field required":
        return f"missing required field '{error['loc'][-1]}'" if error["loc"] else "missing"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping of fields, got {_kind(value)}"
    if kind == "list_type":
        return f"expected a list, got {_kind(value)}"
    if kind in _SHOW_VALUE and isinstance(value, (str, int, float, bool)):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return f"{_lower_first(msg)} (got {shown})"
    return _lower_first(msg)


def _lower_first(msg: str) -> str:
    """"Input should..." -> "input should...", but "NaN ..." and "SIGKILL ..." as written."""
    word = msg.split(" ", 1)[0]
    return msg if any(c.isupper() for c in word[1:]) else msg[:1].lower() + msg[1:]


def _kind(value: Any, secret: bool = False) -> str:
    if secret:
        return kind_of(value).split(" (", 1)[0]   # "a number", never "a number (8374...)"
    if isinstance(value, str):
        return f"'{value[:60]}'"
    return kind_of(value)
