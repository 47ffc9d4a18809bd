"""The public face for plugin authors (``chaos.plugin``) is the whole of what a plugin
needs: the two plugins of the test suite, the recipes of docs/architecture.md followed
for real, import chaos through it alone, and every name it promises exists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import chaos.plugin

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = [ROOT / "tests" / "plugins" / "slowpage" / "slowpage_detector" / "__init__.py",
           ROOT / "tests" / "labmarker.py"]


def chaos_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) for every import of a chaos module, inside functions too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found += [(node.lineno, n) for n in names if n == "chaos" or n.startswith("chaos.")]
    return found


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: p.parent.name + "/" + p.name)
def test_a_plugin_imports_chaos_only_through_chaos_plugin(path):
    imports = chaos_imports(path.read_text(encoding="utf-8"))
    assert imports, f"{path}: imports nothing of chaos (not the plugin this test expects)"
    others = [f"{path.relative_to(ROOT)}:{line}: {name}" for line, name in imports
              if name != "chaos.plugin"]
    assert not others, "import these from chaos.plugin (add them to its __all__):\n" + \
        "\n".join(others)


def test_every_name_in_all_exists_once():
    names = chaos.plugin.__all__
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    missing = [n for n in names if not hasattr(chaos.plugin, n)]
    assert not missing, missing


def test_what_the_plugins_use_is_in_all():
    used = set()
    for path in PLUGINS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "chaos.plugin":
                used |= {a.name for a in node.names}
    assert used and used <= set(chaos.plugin.__all__), used - set(chaos.plugin.__all__)


def test_the_check_finds_an_internal_import():
    source = "from chaos.plugin import Fault\nimport chaos.record\n" \
             "def f():\n    from chaos.parts import Chart\n"
    assert chaos_imports(source) == [(1, "chaos.plugin"), (2, "chaos.record"), (4, "chaos.parts")]
