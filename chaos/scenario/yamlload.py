"""Read a scenario's YAML safely, remembering where every key and item was written.

    data, lines = load_yaml("scenarios/x.yaml")
    lines.line_for(("faults", 0, "at"))   # -> 17

Every way a file can be unreadable becomes a ``ScenarioError`` naming the file
(and the line, when there is one) instead of a traceback.

``${VAR}`` references in values are substituted on the composed node tree (see
``variables``), so comments are never touched and every line number stays the file's.

Line numbers are the ones an editor shows: PyYAML (YAML 1.1) also breaks lines at
U+0085, U+2028 and U+2029, so one of them in a comment would shift every later line
(and end the comment early); they are read as ordinary characters, as YAML 1.2 does.
Keys must be strings: ``on:``, ``42:`` or ``null:`` is reported at its own line, as
written. A value that does not fit its tag (``at: !!int ten``) is reported at its line
and field.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chaos.errors import Problem, ScenarioError
from chaos.redact import is_secret_key
from chaos.scenario.variables import Loc, dotted, substitute
from chaos.scenario.yamlguard import MAX_NODES, GuardedLoader, describe
from chaos.userfiles import BadFile, read_text

# A scenario is a few KB. PyYAML's pure-Python scanner needs seconds per 100 KB on a
# busy machine, so a larger limit would let one file stall `chaos validate`.
MAX_BYTES = 128_000
MAX_INT_CHARS = 100
# Deeper than any real scenario; far below where PyYAML's recursive composer
# would exhaust Python's stack.
MAX_DEPTH = 64
_INT_TAG = "tag:yaml.org,2002:int"
_STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_KINDS = {"bool": "a boolean", "int": "a number", "float": "a number", "null": "null (nothing)",
          "timestamp": "a date", "binary": "binary data", "seq": "a list", "map": "a mapping",
          "set": "a set", "omap": "an ordered mapping", "pairs": "a list of pairs"}
# The line breaks of YAML 1.1 that editors (and YAML 1.2) do not break at, each read
# as a private-use stand-in while parsing and put back in every value and key.
_BREAKS = {"\x85": "\ue085", "\u2028": "\ue028", "\u2029": "\ue029"}
_HIDE = str.maketrans(_BREAKS)
_SHOW = str.maketrans({v: k for k, v in _BREAKS.items()})


@dataclass
class LineMap:
    """Line (1-based) of each mapping key and sequence item, by location tuple."""

    lines: dict[Loc, int] = field(default_factory=dict)

    def line_for(self, loc: Loc) -> int | None:
        """Line of ``loc`` or of its nearest written ancestor (a missing field has none)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


def load_yaml(path: str | Path, env: Mapping[str, str] | None = None,
              replaced: Callable[[Loc], bool] = lambda loc: False,
              ) -> tuple[dict[str, Any], LineMap]:
    """Parse ``path`` into plain data plus a ``LineMap``; raise ``ScenarioError`` if unreadable.

    ``${VAR}`` in values comes from ``env`` (default ``os.environ``). Values at locations
    for which ``replaced`` is true (``--set`` will overwrite them) are left as written.
    """
    name = str(path)
    text = _read_text(Path(path), name)
    if not any(stand_in in text for stand_in in _BREAKS.values()):
        text = text.translate(_HIDE)

    def fail(message: str, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(name, line, "", message)])

    try:
        loader = GuardedLoader(text)   # checks every character at once
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1
        raise fail(f"character #x{exc.character:04x} is not allowed in YAML ({exc.reason})",
                   line) from None
    lines = LineMap()
    walk = _Walk(name, loader, os.environ if env is None else env, replaced, text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise fail("file is empty (no YAML document)")
        _walk(node, (), lines, walk)
        if walk.problems:
            raise ScenarioError(walk.problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        message, where = describe(exc)
        mark = exc.problem_mark
        loc = walk.at.get((mark.line, mark.column)) if mark is not None else None
        raise ScenarioError([Problem(name, where, dotted(loc or ()), message)]) from None
    except yaml.YAMLError as exc:
        raise fail(f"YAML error: {exc}") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise fail(f"unreadable value: {exc}") from None
    except (KeyError, TypeError, AttributeError, IndexError, OverflowError) as exc:
        # PyYAML's constructors trust their tags: `!!bool maybe` is a KeyError in there.
        raise fail(f"unreadable value (a tag that does not fit its value?): {exc!r}") from None
    except RecursionError:  # PyYAML composes recursively: `[[[[...` thousands deep
        line = loader.get_mark().line + 1
        raise fail(f"nested too deeply (more than {MAX_DEPTH} levels)", line) from None
    finally:
        loader.dispose()
    if data is None:
        raise fail("the file is empty (its only document is null): a scenario is a mapping "
                   "of fields (name:, lab:, load:, faults:, ...)", node.start_mark.line + 1)
    if not isinstance(data, dict):
        raise fail(f"the top level must be a mapping of scenario fields, not {kind_of(data)}",
                   node.start_mark.line + 1)
    lines.lines[()] = node.start_mark.line + 1
    return data, lines


def _read_text(path: Path, name: str) -> str:
    def fail(message: str, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(name, line, "", message)])

    try:
        text = read_text(path, MAX_BYTES, "scenario file")
    except BadFile as exc:
        raise fail(exc.message, exc.line) from None
    text = text.removeprefix("\ufeff")
    if all(not line.strip() or line.lstrip().startswith("#") or line.strip() in ("---", "...")
           for line in text.splitlines()):
        raise fail("file is empty" if not text.strip() else
                   "file is empty (only comments or document markers, no scenario)")
    return text


def kind_of(value: Any) -> str:
    """What a value is, for a message: "a list", "text ('abc')", "a number (5)"."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r:.40})"
    if isinstance(value, str):
        return f"text ({value!r:.60})"
    names: dict[type, str] = {dict: "a mapping", list: "a list", bytes: "binary data", set: "a set"}
    return names.get(type(value), f"a {type(value).__name__}")


@dataclass
class _Walk:
    """What one pass over the node tree needs besides the node: limits and substitution."""

    name: str
    loader: GuardedLoader
    env: Mapping[str, str]
    replaced: Callable[[Loc], bool]
    text: str
    count: int = 0
    problems: list[Problem] = field(default_factory=list)
    substituted: set[int] = field(default_factory=set)
    at: dict[tuple[int, int], Loc] = field(default_factory=dict)   # (line, column) -> loc

    def problem(self, node: Node, loc: Loc, message: str) -> None:
        self.problems.append(Problem(self.name, node.start_mark.line + 1, dotted(loc), message))


def _walk(node: Node, loc: Loc, lines: LineMap, walk: _Walk) -> None:
    name = walk.name
    walk.count += 1
    if len(loc) > MAX_DEPTH:
        raise ScenarioError([Problem(name, node.start_mark.line + 1, dotted(loc[:MAX_DEPTH]),
                                     f"nested too deeply (more than {MAX_DEPTH} levels)")])
    if walk.count > MAX_NODES:
        raise ScenarioError([Problem(
            name, node.start_mark.line + 1, "",
            f"document expands to more than {MAX_NODES} nodes (too many aliases?); refusing it",
        )])
    walk.at.setdefault((node.start_mark.line, node.start_mark.column), loc)
    if isinstance(node, (MappingNode, SequenceNode)) and node.tag not in _COLLECTION_TAGS:
        walk.problem(node, loc, f"{'a mapping' if isinstance(node, MappingNode) else 'a list'} "
                                f"cannot be read as {_short(node.tag)}; remove the tag")
        return
    if isinstance(node, MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                _walk(value_node, loc, LineMap(), walk)
                continue
            if not (isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG):
                walk.problem(key_node, loc, _not_a_string(key_node, walk.text))
                continue
            key = key_node.value = key_node.value.translate(_SHOW)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ScenarioError([Problem(
                    name, line, dotted(loc + (key,)),
                    f"duplicate key '{key}' (first defined on line {seen[key]})",
                )])
            seen[key] = line
            lines.lines.setdefault(loc + (key,), line)
            _walk(value_node, loc + (key,), lines, walk)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            lines.lines.setdefault(loc + (i,), item.start_mark.line + 1)
            _walk(item, loc + (i,), lines, walk)
    elif isinstance(node, ScalarNode):
        node.value = node.value.translate(_SHOW)
        _substitute(node, loc, walk)
        if node.tag == _INT_TAG and len(node.value) > MAX_INT_CHARS:
            raise ScenarioError([Problem(name, node.start_mark.line + 1, dotted(loc),
                                         f"number with {len(node.value)} digits is too large")])
        _construct(node, loc, walk)


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _not_a_string(key: Node, text: str) -> str:
    written = text[key.start_mark.index:key.end_mark.index].translate(_SHOW).strip()
    what = _KINDS.get(str(key.tag).rsplit(":", 1)[-1], "not text")
    if not isinstance(key, ScalarNode):
        return f"a key is {what} ({written[:40]!r}): keys must be strings"
    return (f"key {written[:40]!r} is read as {what}: keys must be strings; quote it "
            f"(\"{written[:40]}\": ...)")


def _construct(node: ScalarNode, loc: Loc, walk: _Walk) -> None:
    """Build the value now, so a value that does not fit its tag is named at its line and
    field (``at: !!int ten``); PyYAML's constructors say neither. A secret is not shown."""
    try:
        walk.loader.construct_object(node)   # cached: construct_document reuses it
    except yaml.constructor.ConstructorError as exc:
        walk.problem(node, loc, str(exc.problem))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError):
        secret = any(isinstance(part, str) and is_secret_key(part) for part in loc)
        shown = "the value (not shown: a secret field)" if secret else repr(node.value[:60])
        walk.problem(node, loc, f"{shown} cannot be read as {_short(node.tag)}")


def _substitute(node: ScalarNode, loc: Loc, walk: _Walk) -> None:
    """Replace ``${VAR}`` in a scalar's value; a plain scalar is typed again
    (``${N:-20}`` -> 20)."""
    # An alias walks the same node again; substituting twice would undo `$$`.
    if id(node) in walk.substituted or "$" not in node.value or walk.replaced(loc):
        return
    walk.substituted.add(id(node))
    try:
        value = substitute(node.value, walk.env)
    except ValueError as exc:
        walk.problems.append(Problem(walk.name, node.start_mark.line + 1, dotted(loc), str(exc)))
        return
    if node.style is None and id(node) not in walk.loader.tagged:
        node.tag = walk.loader.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    node.value = value
