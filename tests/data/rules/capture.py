"""Re-capture what promtool prints for each rule file here (tests/unit/test_promtoolparse.py).

    .venv/bin/python tests/data/rules/capture.py     # needs chaos/observe (make images)

Each ``*.yml`` is checked alone, mounted as ``/rules/0/<name>`` as ``check_rules``
mounts it; ``several-files.stderr`` checks three at once (``/rules/<i>/<name>``).
Writes ``captured/<name>.stderr`` (promtool's stderr) and ``captured/<name>.rc``.
"""

from __future__ import annotations

from pathlib import Path

from chaos.lab.engine import client
from chaos.lab.observability.tools import run_tool

HERE = Path(__file__).resolve().parent
MULTI = ("good.yml", "bad_expr.yml", "unknown_field.yml")


def save(name: str, files: list[Path]) -> None:
    run = run_tool("promtool", files, lambda names: ["check", "rules", *names],
                   use_host=False, client=client(), inside="/rules")
    (HERE / "captured" / f"{name}.stderr").write_text(run.stderr)
    (HERE / "captured" / f"{name}.rc").write_text(f"{run.code}\n")


def main() -> None:
    (HERE / "captured").mkdir(exist_ok=True)
    for path in sorted(HERE.glob("*.yml")):
        save(path.stem, [path])
    save("several-files", [HERE / n for n in MULTI])


if __name__ == "__main__":
    main()
