"""Code under a ``proc/`` folder runs in another process (a container, Locust, a
throwaway interpreter): chaos imports none of it, and what runs in a lab container
(``chaos/lab/proc/``, sent as source) imports nothing of chaos, which is not there.
"""

from __future__ import annotations

import ast
from pathlib import Path

CHAOS = Path(__file__).resolve().parents[2] / "chaos"
PROC = [p for p in CHAOS.rglob("proc/*.py") if p.name != "__init__.py"]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_there_are_proc_modules():
    assert {p.name for p in PROC} >= {"faultproxy.py", "alertreceiver.py", "listener.py",
                                      "declared.py", "locustprobe.py"}


def test_what_runs_in_a_container_imports_nothing_of_chaos():
    for path in (CHAOS / "lab" / "proc").glob("*.py"):
        assert not [n for n in imported(path) if n.split(".")[0] == "chaos"], path


def test_chaos_imports_no_proc_module():
    for path in CHAOS.rglob("*.py"):
        if "proc" in path.relative_to(CHAOS).parts:
            continue
        assert not [n for n in imported(path) if ".proc." in f".{n}."], path
