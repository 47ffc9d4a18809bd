"""Every timeline event kind chaos emits or reads is in ``chaos.measure.eventkinds.Kind``.

The walk finds, in every module of ``chaos/``, the calls that put an event on a
timeline (``timeline.add(KIND, ...)``, a part's ``_event(KIND, ...)``, the pager's
``record(KIND, ...)``), dict literals with a ``"kind"`` key, and comparisons of an
event's ``["kind"]``; a kind written there as a string literal must be in the
enum, and an enum member named there must exist.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from chaos.measure.eventkinds import Kind
from chaos.report.story import SENTENCES

PACKAGE = Path(__file__).resolve().parents[2] / "chaos"
EMITTERS = {"add", "_event", "record", "_record"}
KNOWN = {k.value for k in Kind}


def _is_kind_of_event(node: ast.AST) -> bool:
    """``e["kind"]`` or ``e.get("kind")``."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "kind"
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get" and bool(node.args)
            and isinstance(node.args[0], ast.Constant) and node.args[0].value == "kind")


def _strings(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for elt in node.elts:
            yield from _strings(elt)


def kinds_named(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = (node.func.attr if isinstance(node.func, ast.Attribute)
                    else node.func.id if isinstance(node.func, ast.Name) else "")
            first = node.args[0]
            if name in EMITTERS and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str) and first.value.islower() \
                    and first.value.isidentifier():
                yield node.lineno, first.value
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "kind" and value is not None:
                    yield from ((node.lineno, s) for s in _strings(value))
        elif isinstance(node, ast.Compare) and _is_kind_of_event(node.left):
            for right in node.comparators:
                yield from ((node.lineno, s) for s in _strings(right))


def members_named(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "Kind"):
            yield node.lineno, node.attr


def test_every_kind_emitted_or_read_in_chaos_is_listed():
    unknown, missing_member, seen = [], [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(PACKAGE.parent)
        for line, kind in kinds_named(tree):
            seen.add(kind)
            if kind not in KNOWN:
                unknown.append(f"{where}:{line}: {kind!r}")
        for line, member in members_named(tree):
            if member not in Kind.__members__ and not member.startswith("__"):
                missing_member.append(f"{where}:{line}: Kind.{member}")
    assert not unknown, "event kinds missing from chaos.measure.eventkinds.Kind: " + \
        ", ".join(unknown)
    assert not missing_member, ", ".join(missing_member)
    assert len(seen) > 5, "the walk found no event kinds: it no longer reads the code"


def test_the_walk_catches_a_kind_that_is_not_listed():
    code = ('timeline.add("trial_started")\n'
            'self._event("alert_went_sideways", t)\n'
            'if e["kind"] == "fault_appliedd": pass\n'
            'x = {"kind": "sample"}\n')
    named = [kind for _, kind in kinds_named(ast.parse(code))]
    assert sorted(named) == ["alert_went_sideways", "fault_appliedd", "sample", "trial_started"]
    assert [k for k in named if k not in KNOWN] == ["alert_went_sideways", "fault_appliedd"]


def test_a_kind_is_written_as_its_plain_value():
    import json

    assert json.dumps({"kind": Kind.FAULT_INJECTED}) == '{"kind": "fault_injected"}'
    assert Kind.FAULT_INJECTED == "fault_injected" and f"{Kind.MARK}" == "mark"


def test_the_story_table_is_keyed_by_listed_kinds():
    assert set(SENTENCES) <= KNOWN
