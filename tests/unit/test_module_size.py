"""No module of chaos/ over ``LIMIT`` lines: past that, a module holds more than one
concept, and a reader looking for one of them reads all of them. Split it along a
seam (what it holds that a name could say), as ``measure/requestindicators.py``,
``scenario/measuresections.py`` and ``runtrial.py`` were split off."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "chaos"
LIMIT = 320


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def too_long(root: Path = PACKAGE, limit: int = LIMIT) -> dict[str, int]:
    return {str(p.relative_to(root)): n for p in sorted(root.rglob("*.py"))
            if (n := lines(p)) > limit}


def test_no_module_is_over_the_limit():
    found = too_long()
    assert not found, f"modules over {LIMIT} lines (split each along a seam):\n" + "\n".join(
        f"chaos/{name}: {n}" for name, n in sorted(found.items(), key=lambda kv: -kv[1]))


def test_the_walk_sees_the_package():
    assert len(list(PACKAGE.rglob("*.py"))) > 100


def test_the_check_finds_a_long_module(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "long.py").write_text("x = 1\n" * 321)
    (tmp_path / "short.py").write_text("x = 1\n" * 320)
    assert too_long(tmp_path) == {"sub/long.py": 321}
