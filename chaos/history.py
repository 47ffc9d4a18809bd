"""The runs that accumulated under reports/, newest first.

    runs, skipped = scan(Path("reports"))
    newest_with_label(Path("reports"), "before-fix")   # for `chaos compare before-fix after-fix`

A run directory is any directory holding a result.json. A damaged one does not
stop the listing: it is skipped and named, so that one killed run cannot hide
the history of every other.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos.errors import ChaosError, UsageError
from chaos.record import RunRecord, TrialRecord, load_result
from chaos.record.judged import met_everything

DEFAULT_REPORTS = Path("reports")
COLUMNS = (("ttd_s", "ttd"), ("ttr_s", "ttr"), ("data_loss.lost", "lost"))


@dataclass(frozen=True)
class RunEntry:
    dir: Path
    result: RunRecord

    @property
    def started(self) -> str:
        return self.result.started or ""

    @property
    def label(self) -> str | None:
        return self.result.label

    def median(self, metric: str) -> float | None:
        spread = (self.result.summary or {}).get(metric)
        return None if spread is None else spread.median

    def completed_trials(self) -> list[TrialRecord]:
        return [t for t in self.result.trials if t.status == "completed"]


def scan(reports: Path) -> tuple[list[RunEntry], list[str]]:
    """Every readable run under ``reports`` (newest first) and the paths skipped, with why."""
    if not reports.is_dir():
        raise UsageError(f"{reports}: no such directory (runs are written to reports/ "
                         "unless `chaos run --out` says otherwise; pass --reports DIR)")
    runs, skipped = [], []
    for path in _records(reports):
        try:
            runs.append(RunEntry(path.parent, load_result(path)))
        except ChaosError as exc:
            skipped.append(str(exc))
    runs.sort(key=lambda r: (r.started, r.result.run_id), reverse=True)
    return runs, skipped


def _records(reports: Path) -> list[Path]:
    """Every ``<dir>/result.json`` that is there at all, readable or not: ``glob`` would
    leave out, without a word, one that is a symlink loop or points nowhere."""
    try:
        dirs = sorted(d for d in reports.iterdir() if d.is_dir())
    except OSError as exc:
        raise UsageError(f"{reports}: cannot list it: {exc.strerror or exc}") from None
    return [d / "result.json" for d in dirs if os.path.lexists(d / "result.json")]


def matches(run: RunEntry, scenario: str) -> bool:
    """A scenario given as a file (same path or same contents) or as part of its name."""
    sc = run.result.scenario
    path = Path(scenario)
    if path.is_file():
        same_file = sc.file and Path(sc.file).resolve() == path.resolve()
        same_text = sc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        return bool(same_file or same_text)
    needle = scenario.lower()
    return needle in sc.name.lower() or needle in Path(sc.file or "").name.lower()


def newest_with_label(reports: Path, label: str) -> RunEntry | None:
    runs, _ = scan(reports)
    return next((r for r in runs if r.label == label), None)


def history(scenario: str | None, reports: Path) -> tuple[list[RunEntry], list[str]]:
    runs, skipped = scan(reports)
    if scenario:
        runs = [r for r in runs if matches(r, scenario)]
    return runs, skipped


def as_rows(runs: list[RunEntry]) -> list[dict[str, Any]]:
    rows = []
    for r in runs:
        res = r.result
        rows.append({
            "run_id": res.run_id, "dir": str(r.dir), "started": r.started, "label": r.label,
            "scenario": res.scenario.name, "status": res.status,
            "trials": len(r.completed_trials()),
            "passed": None if res.passed is None else met_everything(res),
            "git_commit": res.scenario.git_commit,
            "medians": {metric: r.median(metric) for metric, _ in COLUMNS},
        })
    return rows


def render_table(rows: list[dict[str, Any]]) -> str:
    from chaos.report.text import num, table

    head = ["started", "run", "label", "trials", *(short for _, short in COLUMNS), "passed",
            "commit"]
    body = [[r["started"].replace("T", " ")[:19], r["run_id"], r["label"] or "",
             f"{r['trials']}" + ("" if r["status"] == "completed" else f" ({r['status']})"),
             *(num(r["medians"][m]) for m, _ in COLUMNS),
             {True: "yes", False: "no"}.get(r["passed"], "?"), (r["git_commit"] or "")[:10]]
            for r in rows]
    return table(head, body)
