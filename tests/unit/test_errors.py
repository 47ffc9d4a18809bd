"""The exception tree: one, drawn at the top of chaos/errors.py, with every class in it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chaos import errors

PACKAGE = Path(errors.__file__).resolve().parent


def tree_classes() -> dict[str, type[errors.ChaosError]]:
    return {name: c for name, c in vars(errors).items()
            if isinstance(c, type) and issubclass(c, errors.ChaosError)}


def drawing() -> str:
    doc = errors.__doc__ or ""
    return "\n".join(line for line in doc.splitlines() if "exit" in line and "ChaosError" in line
                     or "──" in line)


def test_the_drawing_names_every_class_of_the_tree():
    classes = tree_classes()
    assert {"ChaosError", "UsageError", "Refused"} <= set(classes)
    drawn = set(re.findall(r"(\w+Error|Refused)\s+exit", drawing()))
    assert drawn == set(classes), (sorted(set(classes) - drawn), sorted(drawn - set(classes)))


def test_the_drawing_says_each_exit_code():
    for name, code in re.findall(r"(\w+)\s+exit (\d)", drawing()):
        assert tree_classes()[name].exit_code == int(code) or name == "ReportError", name
    assert errors.ReportError("x").exit_code == errors.EXIT_TOOL_FAILED
    assert errors.ReportError("x", damaged_input=True).exit_code == errors.EXIT_INVALID_INPUT


def test_no_error_of_the_tree_is_defined_outside_errors_py():
    names = set(tree_classes())
    outside = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "errors.py" or "sample" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(b, ast.Name) and b.id in names for b in node.bases):
                outside.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert not outside, outside


BROAD = {"Exception", "BaseException"}


def swallowed(source: str) -> list[int]:
    """Lines of ``except Exception: pass`` (or bare ``except:``, or a body of only
    ``pass``/``continue``/``...``): a broad catch must record the error, or be narrowed."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ExceptHandler):
            continue
        caught = ([] if node.type is None else
                  node.type.elts if isinstance(node.type, ast.Tuple) else [node.type])
        broad = node.type is None or any(isinstance(c, ast.Name) and c.id in BROAD
                                         for c in caught)
        silent = all(isinstance(s, (ast.Pass, ast.Continue)) or (
            isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in node.body)
        if broad and silent:
            lines.append(node.lineno)
    return lines


def test_no_broad_except_swallows_an_error():
    found = [f"{path.relative_to(PACKAGE)}:{line}" for path in sorted(PACKAGE.rglob("*.py"))
             for line in swallowed(path.read_text(encoding="utf-8"))]
    assert not found, f"record the error, or catch only what is expected (and say why): {found}"


def test_the_swallow_finder_finds_them():
    assert swallowed("try:\n    f()\nexcept Exception:\n    pass\n") == [3]
    assert swallowed("try:\n    f()\nexcept:\n    ...\n") == [3]
    assert swallowed("for x in y:\n    try:\n        f()\n    except (OSError, Exception):\n"
                     "        continue\n") == [4]
    assert swallowed("try:\n    f()\nexcept OSError:\n    pass\n") == []
    assert swallowed("try:\n    f()\nexcept Exception as exc:\n    log(exc)\n") == []
