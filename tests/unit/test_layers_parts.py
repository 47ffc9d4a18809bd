"""Core code names no specific part: a part is whole in its own package.

The parts' own packages are ``chaos/faults/``, ``chaos/detect/`` and
``chaos/recover/``; everything else is core. Core code asks the registry and the
part's hooks (``chaos.parts``) instead of naming a part: no string in its code
(docstrings and comments may name parts as examples) is a registered part's
type name, and no core module imports a module that registers parts.

The names come from the registry itself. Some type names are ordinary words that
core code uses for its own meaning (a steady state's ``error_rate``, an HTTP
``latency``, Docker's ``restart``); they are listed below with why, and skipped.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chaos.partregistry import detectors, faults, steps

PACKAGE = Path(__file__).resolve().parents[2] / "chaos"
OWN = ("faults", "detect", "recover")   # the parts' own packages

SHARED_WORDS = {
    # scenario and measurement vocabulary that predates the part of that name
    "error_rate",   # steady_state.error_rate, abort_if.error_rate, the indicator type
    "latency",      # an indicator type, a request's latency
    "http",         # the indicator and probe kind, URLs
    "sql",          # the indicator kind, SQL text
    "limit",        # time_limit, limits
    "loss",         # data_loss
    "wait",         # waits, ``wait`` in load settings
    "reset",        # resets between trials
    "pause", "stop", "kill", "restart",   # Docker's own verbs, the lab's operations
    "partition",    # the word itself
    "bandwidth",    # the word itself
    "failover",     # the lab's replica topology (chaos/lab/postgres/)
}

EXEMPT = {
    # `chaos rehearse` is a command built on two built-in parts by design: it writes the
    # partial_migration fault and the run_migration step into each boundary's scenario.
    "chaos/rehearse/plan.py": {"partial_migration", "run_migration"},
}


def part_names() -> set[str]:
    return set(faults.names()) | set(detectors.names()) | set(steps.names())


def core_modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if p.relative_to(PACKAGE).parts[0] not in OWN]


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def names_in_code(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, name) for each part name in a string of the code (docstrings left out)."""
    word = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(names, key=len, reverse=True))
                      + r")(?![A-Za-z0-9_])")
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return [(node.lineno, m.group(1)) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docs for m in word.finditer(node.value)]


def registering_modules() -> set[str]:
    """The modules that register a part (``@faults.register(...)`` and the like)."""
    out = set()
    for package in OWN:
        for path in (PACKAGE / package).rglob("*.py"):
            if ".register(" in path.read_text(encoding="utf-8"):
                parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
                out.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def test_core_code_names_no_part():
    names = part_names() - SHARED_WORDS
    assert {"prometheus_alert", "half_applied_update", "restore_backup"} <= names
    found = []
    for path in core_modules():
        rel = str(path.relative_to(PACKAGE.parent))
        allowed = EXEMPT.get(rel, set())
        found += [f"{rel}:{line}: {name!r}" for line, name in
                  names_in_code(path.read_text(encoding="utf-8"), names) if name not in allowed]
    assert not found, ("core code names a specific part (ask the registry and the part's "
                       "hooks instead, chaos/parts.py):\n" + "\n".join(found))


def test_core_imports_no_module_that_registers_a_part():
    registering = registering_modules()
    assert "chaos.detect.promalert.detector" in registering
    found = []
    for path in core_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                       [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {t}" for t in targets
                      if any(t == m or t.startswith(m + ".") for m in registering)]
    assert not found, "core code imports a part's own module:\n" + "\n".join(found)


def test_the_check_finds_a_part_named_in_code_but_not_in_a_docstring():
    source = '"""About ``prometheus_alert``."""\nif d.type == "prometheus_alert": pass\n'
    assert names_in_code(source, {"prometheus_alert"}) == [(2, "prometheus_alert")]
