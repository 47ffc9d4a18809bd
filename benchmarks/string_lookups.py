"""String-keyed lookups in the reports, and ``Any`` in chaos's function signatures.

    python -m benchmarks.string_lookups              # chaos/report: lookups; chaos: Any
    python -m benchmarks.string_lookups --per-file   # ... with each file's count

Counted from the AST, not by grep: a lookup is a subscript whose key is a string
literal (``t["ttd_s"]``) or a ``.get`` call whose first argument is one
(``e.get("kind")``); ``Any`` counts each name ``Any`` (or ``typing.Any``) in a
parameter's or a return's annotation, string annotations parsed too. Issue #24
item 4: the reports should read the typed record (``story.trial.ttd_s``), not
its JSON form by key; event dicts stay dicts by design, so some lookups remain.
"""

from __future__ import annotations

import argparse
import ast
import json
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import REPO


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_lookup(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript):
        return _is_str(node.slice)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get" and bool(node.args) and _is_str(node.args[0]))


def string_lookups(tree: ast.AST) -> int:
    return sum(1 for node in ast.walk(tree) if _is_lookup(node))


def _annotations(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if arg is not None and arg.annotation is not None:
                    yield arg.annotation
            if node.returns is not None:
                yield node.returns


def _any_names(annotation: ast.expr) -> int:
    n = 0
    for node in ast.walk(annotation):
        if (isinstance(node, ast.Name) and node.id == "Any"
                or isinstance(node, ast.Attribute) and node.attr == "Any"):
            n += 1
        elif _is_str(node):   # "dict[str, Any]" under a string annotation
            try:
                n += _any_names(ast.parse(node.value, mode="eval").body)  # type: ignore[attr-defined]
            except SyntaxError:
                pass
    return n


def any_in_signatures(tree: ast.AST) -> int:
    return sum(_any_names(a) for a in _annotations(tree))


def count(root: Path, measure: object) -> dict[str, int]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        out[str(path.relative_to(REPO))] = measure(ast.parse(path.read_text()))  # type: ignore[operator]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-file", action="store_true", help="each file's count too")
    args = ap.parse_args()
    lookups = count(REPO / "chaos" / "report", string_lookups)
    anys = count(REPO / "chaos", any_in_signatures)
    if args.per_file:
        for name, n in sorted(lookups.items(), key=lambda kv: -kv[1]):
            if n:
                print(f"{n:5d}  {name}")
    print(json.dumps({"report_string_lookups": sum(lookups.values()),
                      "chaos_any_in_signatures": sum(anys.values())}))


if __name__ == "__main__":
    main()
