"""Which run a `chaos compare` argument means: a run directory, or a label.

    resolve("reports/20261130-013225-quick-a423", Path("reports"))
    resolve("alert-sooner", Path("reports"))   # the newest run labelled so (--label)
"""

from __future__ import annotations

from pathlib import Path

from chaos.errors import UsageError
from chaos.history import RunEntry, scan
from chaos.record import load_result


def resolve(ref: str, reports: Path) -> RunEntry:
    path = Path(ref)
    if path.is_dir() or path.name == "result.json" or "/" in ref:
        run_dir = path.parent if path.name == "result.json" else path
        return RunEntry(run_dir, load_result(run_dir / "result.json"))
    if not reports.is_dir():
        raise UsageError(f"{ref!r} is not a run directory, and there is no {reports}/ to look "
                         "for a run with that label in")
    runs, _ = scan(reports)
    labelled = [r for r in runs if r.label == ref]
    if labelled:
        return labelled[0]  # scan() sorts newest first
    labels = sorted({r.label for r in runs if r.label})
    known = f"labels there: {', '.join(labels)}" if labels else "no run there has a label"
    raise UsageError(f"{ref!r} is neither a run directory nor the label of a run under "
                     f"{reports}/ ({known})")
