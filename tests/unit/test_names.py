"""One name, one concept: no two classes or type aliases in chaos/ share a name, nor two
modules a file name.

A reader who meets ``Lab`` or ``runs.py`` should not have to ask which one. The
sample app (``chaos/sample/``) is a user of the engine, not part of it, and is
left out.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "chaos"

# File names that say "this package's ..." by convention, not a concept of their own.
SHARED_FILE_NAMES = {"__init__.py", "base.py", "build.py"}


def engine_files(root: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "sample" not in p.relative_to(root).parts)


def type_names(tree: ast.Module) -> list[tuple[str, int]]:
    """Every class, and every module-level alias named like a type (``TrialStatus =
    Literal[...]``): a type alias is a concept as much as a class is."""
    found = [(n.name, n.lineno) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        found += [(t.id, node.lineno) for t in targets if isinstance(t, ast.Name)
                  and t.id[:1].isupper() and not t.id.isupper()]
    return found


def classes_defined_twice(files: list[Path], root: Path = PACKAGE) -> dict[str, list[str]]:
    where: dict[str, list[str]] = defaultdict(list)
    for path in files:
        for name, line in type_names(ast.parse(path.read_text(encoding="utf-8"))):
            where[name].append(f"{path.relative_to(root)}:{line}")
    return {name: places for name, places in where.items() if len(places) > 1}


def file_names_used_twice(files: list[Path], root: Path = PACKAGE) -> dict[str, list[str]]:
    where: dict[str, list[str]] = defaultdict(list)
    for path in files:
        if path.name not in SHARED_FILE_NAMES:
            where[path.name].append(str(path.relative_to(root)))
    return {name: places for name, places in where.items() if len(places) > 1}


# Names one word apart only by a plural, on purpose: a package's contract beside the
# package of its implementations, a package's own central module, the per-folder
# convention for code run in another process, and each package's models.
NEAR_BY_DESIGN = {
    "feature",   # lab/feature.py (the contract) and lab/features/ (one module each)
    "lab",       # the lab/ package and lab/lab.py, its Lab
    "proc",      # lab/proc/, load/proc/, scenario/proc/: another process (test_proc_modules)
    "model",     # record/models.py and scenario/model.py: each package's pydantic models
}


def words_used_twice(root: Path = PACKAGE) -> dict[str, list[str]]:
    """Modules and packages whose names are the same word give or take a plural
    (``report/measures.py`` beside the ``measure/`` package, ``lab/engine.py`` and
    ``detect/engines.py``): one word, two concepts, which the exact check misses."""
    where: dict[str, list[str]] = defaultdict(list)
    for path in engine_files(root):
        rel = path.relative_to(root)
        if path.name == "__init__.py" and len(rel.parts) > 1:
            where[rel.parts[-2].removesuffix("s")].append(str(rel.parent) + "/")
        elif path.name not in SHARED_FILE_NAMES:
            where[path.stem.removesuffix("s")].append(str(rel))
    return {word: places for word, places in where.items()
            if len(places) > 1 and word not in NEAR_BY_DESIGN}


def test_no_word_names_two_modules():
    twice = words_used_twice()
    assert not twice, "one word, two concepts: rename one for what it holds:\n" + "\n".join(
        f"{word}: {', '.join(places)}" for word, places in sorted(twice.items()))


def test_the_walk_sees_the_engine():
    files = engine_files()
    assert len(files) > 50, files   # not vacuous: the package is there
    assert not any("sample" in p.relative_to(PACKAGE).parts for p in files)


def test_no_class_name_is_defined_twice():
    twice = classes_defined_twice(engine_files())
    assert not twice, "rename so each name is one concept:\n" + "\n".join(
        f"{name}: {', '.join(places)}" for name, places in sorted(twice.items()))


def test_no_module_file_name_is_used_twice():
    twice = file_names_used_twice(engine_files())
    assert not twice, "rename each module for what it is:\n" + "\n".join(
        f"{name}: {', '.join(places)}" for name, places in sorted(twice.items()))


@pytest.mark.parametrize("files, classes, modules", [
    ({"a/x.py": "class Lab: ...", "b/y.py": "class Lab: ..."}, {"Lab"}, set()),
    ({"a/x.py": "Status = int", "b/y.py": "class Status: ..."}, {"Status"}, set()),
    ({"a/x.py": "MAX = 1\nLoc: type = int", "b/y.py": "MAX = 2\nLoc = str"}, {"Loc"}, set()),
    ({"a/x.py": "def f():\n    Local = 1\n", "b/y.py": "Local = 2"}, set(), set()),
    ({"a/runs.py": "", "b/runs.py": "def f():\n    class Inner: ...\n"}, set(), {"runs.py"}),
    ({"a/base.py": "class A: ...", "b/base.py": "class B: ..."}, set(), set()),
    ({"x.py": "class Lab: ...", "sample/x.py": "class Lab: ..."}, set(), set()),
])
def test_the_checks_find_what_they_look_for(tmp_path, files, classes, modules):
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    found = engine_files(tmp_path)
    assert set(classes_defined_twice(found, tmp_path)) == classes
    assert set(file_names_used_twice(found, tmp_path)) == modules


def test_the_word_check_finds_what_it_looks_for(tmp_path):
    for name in ("measure/__init__.py", "report/measures.py", "lab/engine.py",
                 "detect/engines.py", "lab/feature.py", "lab/features/__init__.py",
                 "lab/features/x.py", "a/base.py", "b/base.py", "sample/engine.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert words_used_twice(tmp_path) == {
        "measure": ["measure/", "report/measures.py"],
        "engine": ["detect/engines.py", "lab/engine.py"]}
