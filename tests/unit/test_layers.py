"""The package's import structure: no cycles, and no layer importing one above it.

Every ``import`` counts, those inside functions too: a lazy import hides a
cycle from Python, not from whoever changes the code next. The layers are
documented in docs/architecture.md; a new top-level module or package must be
placed in one here, or this test fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "chaos"

# Low to high. A module may import its own layer's modules and any layer below.
LAYERS: list[tuple[str, set[str]]] = [
    ("base", {"chaos", "chaos.errors", "chaos.redact", "chaos.printable", "chaos.userfiles",
              "chaos.atomic",
              "chaos.signals", "chaos.provenance", "chaos.parts", "chaos.partregistry",
              "chaos.sample", "chaos.settings"}),
    ("schema", {"chaos.scenario"}),
    ("infrastructure", {"chaos.lab", "chaos.measure", "chaos.record"}),
    ("parts and load", {"chaos.faults", "chaos.detect", "chaos.recover", "chaos.safety",
                        "chaos.build", "chaos.partcontext", "chaos.load",
                        "chaos.plugin"}),
    ("trial", {"chaos.trial"}),
    ("records and views", {"chaos.report", "chaos.live", "chaos.history", "chaos.progress"}),
    ("comparison", {"chaos.compare"}),
    ("run", {"chaos.run", "chaos.runtrial", "chaos.rehearse"}),
    ("front", {"chaos.cli", "chaos.pytest_plugin", "chaos.__main__"}),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def owner(target: str) -> str | None:
    """The chaos module an import target lives in (``chaos.x.y.NAME`` -> ``chaos.x.y``)."""
    while target:
        if target in MODULES:
            return target
        target = target.rpartition(".")[0]
    return None


def imports_of(name: str, path: Path) -> set[str]:
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{a.name}" for a in node.names]
        for target in targets:
            found = owner(target)
            if found and found != name:
                out.add(found)
    return out


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()
         if not name.startswith("chaos.sample.")}   # the sample's own app, not the engine


def group(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2])


def layer(name: str) -> int:
    for i, (_, members) in enumerate(LAYERS):
        if group(name) in members or name in members:
            return i
    raise LookupError(name)


def test_every_module_has_a_layer():
    missing = sorted({group(m) for m in GRAPH if not _placed(m)})
    assert not missing, f"place these in LAYERS (and docs/architecture.md): {missing}"


def _placed(name: str) -> bool:
    try:
        layer(name)
    except LookupError:
        return False
    return True


def test_no_layer_imports_a_higher_one():
    upward = sorted(f"{src} ({LAYERS[layer(src)][0]}) imports {dst} ({LAYERS[layer(dst)][0]})"
                    for src, dsts in GRAPH.items() for dst in dsts
                    if _placed(src) and _placed(dst) and layer(dst) > layer(src))
    assert not upward, "\n".join(upward)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return out


def test_no_import_cycles():
    cycles = strongly_connected(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert strongly_connected(graph) == expected


def test_lazy_imports_count():
    # a function-level import is an edge like any other
    source = "def f():\n    from chaos.run import run_scenario\n"
    tree = ast.parse(source)
    assert any(isinstance(n, ast.ImportFrom) for n in ast.walk(tree))
    assert "chaos.run" in imports_of("chaos.partregistry", _tmp(source))


def _tmp(source: str) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "registry.py"
    path.write_text(source)
    return path


def test_the_parts_contract_is_the_bottom():
    assert GRAPH["chaos.parts"] == set(), GRAPH["chaos.parts"]
    assert layer("chaos.partregistry") == 0 and not {
        d for d in GRAPH["chaos.partregistry"] if layer(d) > 0}


def test_only_the_cli_prints_with_click():
    users = sorted(name for name, path in MODULES.items()
                   if not name.startswith(("chaos.cli", "chaos.sample."))
                   and any(isinstance(n, (ast.Import, ast.ImportFrom))
                           and ("click" in [a.name for a in n.names] if isinstance(n, ast.Import)
                                else (n.module or "").split(".")[0] == "click")
                           for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))))
    assert not users, f"click outside chaos/cli/: {users}"
