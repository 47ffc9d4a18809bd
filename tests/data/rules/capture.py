"""Re-capture what promtool prints for each rule file here (tests/unit/test_promtoolparse.py).

    .venv/bin/python tests/data/rules/capture.py     # needs chaos/observe (make images)

Each ``*.yml`` is checked alone, mounted as ``/rules/0/<name>`` as ``check_rules``
mounts it; ``several-files.stderr`` checks three at once (``/rules/<i>/<name>``).
Writes ``captured/<name>.stderr`` (promtool's stderr) and ``captured/<name>.rc``.
"""

from __future__ import annotations

from pathlib import Path

from chaos.lab.engine import client
from chaos.lab.promtool import _run_in_image

HERE = Path(__file__).resolve().parent
MULTI = ("good.yml", "bad_expr.yml", "unknown_field.yml")


def save(name: str, files: dict[str, Path]) -> None:
    code, stderr = _run_in_image(client(), files)
    (HERE / "captured" / f"{name}.stderr").write_text(stderr)
    (HERE / "captured" / f"{name}.rc").write_text(f"{code}\n")


def main() -> None:
    (HERE / "captured").mkdir(exist_ok=True)
    for path in sorted(HERE.glob("*.yml")):
        save(path.stem, {f"/rules/0/{path.name}": path})
    save("several-files", {f"/rules/{i}/{n}": HERE / n for i, n in enumerate(MULTI)})


if __name__ == "__main__":
    main()
