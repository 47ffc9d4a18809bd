"""Every module, file and name the docs point at exists, so a move or a rename that
forgets a doc fails here instead of misleading the next reader.

What counts as a reference, in README.md, docs/*.md and pyproject.toml:

- a path from the repository's top (``chaos/lab/lab.py``, ``tests/unit/``), or from
  the doc's own folder (``examples/chaos-gate.sh`` in docs/ci.md);
- a bare module name in backticks after such a path on the same line (the table
  cells of docs/architecture.md: ``chaos/scenario/model.py``, ``labsection.py``):
  in that path's folder; with no path before it, anywhere in the repository;
- a dotted name (``chaos.record.load_result``): the module, then a name it defines
  or imports (and, for a class, a name defined in its body);
- a Markdown file named in capitals (``STYLE.md``) or linked (``](scenarios.md)``).

In chaos/'s own docstrings, dotted names and ``chaos/`` paths count too.

Not references: Docker image names (``chaos/db``, ``chaos/app:latest``: two parts,
no suffix), and dotted names the code itself uses as strings (labels such as
``chaos.lab`` and ``chaos.pid``, entry-point groups such as ``chaos.steps``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOPS = "chaos|tests|benchmarks|scripts|docs|scenarios|examples|compose"
PATH = re.compile(rf"(?<![\w./$-])((?:{TOPS})/[\w./-]*[\w/])")
DOTTED = re.compile(r"(?<![\w./-])(chaos(?:\.\w+)+)")
BARE = re.compile(r"`(\w+\.py)`")
MARKDOWN = re.compile(r"(?<![\w./-])([A-Z][A-Z_]+\.md)\b|\]\(([\w./-]+\.md)(?:#[\w-]*)?\)")


@dataclass(frozen=True)
class Ref:
    doc: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.name}"


def docs(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md")), root / "pyproject.toml"]


def sources(root: Path = ROOT) -> list[Path]:
    return sorted((root / "chaos").rglob("*.py"))


def defined_names(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Names a module (or class) body defines or imports, with their statements."""
    found: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            found |= {t.id: node for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= {(a.asname or a.name).split(".")[0]: node for a in node.names}
        elif isinstance(node, (ast.If, ast.Try)):
            found |= defined_names(node.body)
    return found


def module_file(root: Path, parts: list[str]) -> Path | None:
    base = root.joinpath(*parts)
    return next((f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()), None)


def dotted_exists(root: Path, name: str) -> bool:
    """The longest prefix that is a module, then a name in it (no import: some of our
    modules are Locust's, and importing them monkey-patches this process)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        found = module_file(root, parts[:end])
        if found is None:
            continue
        rest = parts[end:]
        if not rest:
            return True
        node = defined_names(ast.parse(found.read_text(encoding="utf-8")).body).get(rest[0])
        if node is not None and len(rest) > 1 and isinstance(node, ast.ClassDef):
            return rest[1] in defined_names(node.body)
        return node is not None
    return False


def names_in_code(root: Path) -> set[str]:
    """``"chaos.x"`` string constants of the package: labels and entry-point groups."""
    return {n.value for f in sources(root) for n in ast.walk(ast.parse(f.read_text("utf-8")))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and DOTTED.fullmatch(n.value)}


def is_image_name(path: str) -> bool:
    return path.startswith("chaos/") and path.count("/") == 1 and "." not in path


def path_refs(root: Path, doc: Path, n: int, line: str) -> list[tuple[Ref, bool]]:
    out = []
    for m in PATH.finditer(line):
        path = m.group(1).rstrip(".")
        if any(c in path for c in "*<{") or is_image_name(path):
            continue
        out.append((Ref(str(doc.relative_to(root)), n, path),
                    (root / path).exists() or (doc.parent / path).exists()))
    return out


def bare_refs(root: Path, doc: Path, n: int, line: str) -> list[tuple[Ref, bool]]:
    out = []
    for m in BARE.finditer(line):
        before = [p.group(1) for p in PATH.finditer(line[:m.start()])
                  if p.group(1).endswith((".py", "/"))]
        if before:
            folder = before[-1] if before[-1].endswith("/") else before[-1].rsplit("/", 1)[0]
            name = f"{folder.rstrip('/')}/{m.group(1)}"
            ok = (root / name).is_file()
        else:
            name = m.group(1)
            ok = any(next((root / top).rglob(name), None) for top in TOPS.split("|"))
        out.append((Ref(str(doc.relative_to(root)), n, name), ok))
    return out


def markdown_refs(root: Path, doc: Path, n: int, line: str) -> list[tuple[Ref, bool]]:
    out = []
    for m in MARKDOWN.finditer(line):
        name = m.group(1) or m.group(2)
        ok = any((base / name).is_file() for base in (root, root / "docs", doc.parent))
        out.append((Ref(str(doc.relative_to(root)), n, name), ok))
    return out


def dotted_refs(root: Path, doc: Path, n: int, line: str,
                strings: set[str]) -> list[tuple[Ref, bool]]:
    return [(Ref(str(doc.relative_to(root)), n, name), dotted_exists(root, name))
            for name in (m.group(1).rstrip(".") for m in DOTTED.finditer(line))
            if name not in strings]


def references(root: Path = ROOT) -> list[tuple[Ref, bool]]:
    """Every reference found, with whether what it names exists."""
    strings = names_in_code(root)
    found = []
    for doc in docs(root):
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            found += path_refs(root, doc, n, line) + bare_refs(root, doc, n, line)
            found += markdown_refs(root, doc, n, line) + dotted_refs(root, doc, n, line, strings)
    for src in sources(root):
        for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            found += dotted_refs(root, src, n, line, strings)
            found += [(r, ok) for r, ok in path_refs(root, src, n, line)
                      if r.name.startswith("chaos/")]
    return found


def test_every_module_a_doc_names_exists():
    refs = references()
    assert len(refs) > 500, len(refs)   # not vacuous: the docs are read
    missing = [str(ref) for ref, ok in refs if not ok]
    assert not missing, "these docs name what does not exist (moved? renamed?):\n" + "\n".join(
        missing)


@pytest.mark.parametrize("text, missing", [
    ("see `chaos/lab/gone.py`", ["chaos/lab/gone.py"]),
    ("| x | `chaos/scenario/model.py`, `parts.py` |", ["chaos/scenario/parts.py"]),
    ("| x | `chaos/scenario/model.py`, `base.py` |", []),
    ("read by ``chaos.record.load_result``", ["chaos.record.load_result"]),
    ("read by ``chaos.recordfile.load_result``", []),
    ("``chaos.faults.base.Fault.inject``, ``chaos.faults.base.Fault.gone``",
     ["chaos.faults.base.Fault.gone"]),
    ("the package `chaos/trial/`, then `loop.py` in it", ["chaos/trial/", "chaos/trial/loop.py"]),
    ("images chaos/db and chaos/app:latest, label chaos.lab=<id>", []),
    ("the anchors in STYLE.md; [faults](faults.md)", ["STYLE.md"]),
])
def test_the_check_finds_what_it_looks_for(tmp_path, text, missing):
    for name in ("chaos/scenario/model.py", "chaos/scenario/base.py", "chaos/recordfile.py",
                 "chaos/record.py", "docs/faults.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "chaos/recordfile.py").write_text("def load_result(): ...\n")
    (tmp_path / "chaos/faults").mkdir()
    (tmp_path / "chaos/faults/base.py").write_text("class Fault:\n    def inject(self): ...\n")
    (tmp_path / "chaos/lab.py").write_text("LABEL = 'chaos.lab'\n")
    (tmp_path / "README.md").write_text(text + "\n")
    (tmp_path / "pyproject.toml").write_text("")
    assert [ref.name for ref, ok in references(tmp_path) if not ok] == missing
