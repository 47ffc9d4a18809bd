"""A rehearsal in report.html: the boundary matrix, the clean run's units, its chart.

Read from the typed rehearsal the run directory holds (``Run.rehearsal``: rehearsal.json,
which ``chaos rehearse`` writes after every boundary, else result.json's copy); a run
that is not a rehearsal has none, and these render nothing.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from matplotlib.figure import Figure

from chaos.record import Run, SeriesRecord, WindowRecord
from chaos.report.figfiles import png, quiet, svg


def error_cell(window: WindowRecord | None) -> str:
    """``12.5% of 80``, or ``not measured`` when no request ended in the window."""
    if window is None or window.error_ratio is None:
        return "not measured"
    return f"{window.error_ratio:.1%} of {window.requests}"


def yes_cell(value: bool | None) -> str:
    return "not measured" if value is None else "yes" if value else "no"


def broken_endpoints(window: WindowRecord | None, most: int) -> str:
    """The endpoints that failed most in the window, or ``""``."""
    return ", ".join(list(window.failing)[:most]) if window is not None else ""


def rehearsal_view(run: Run) -> dict[str, Any] | None:
    doc = run.rehearsal
    if doc is None:
        return None
    rows = [{"describe": b.describe, "errors": error_cell(b.half_applied),
             "broken": broken_endpoints(b.half_applied, 4) or "–",
             "recovery": "–" if b.recovery is None else b.recovery,
             "converged": "–" if b.clean else yes_cell(b.converged),
             "serving": yes_cell(b.serving_again), "passed": b.passed,
             "reasons": list(b.reasons)} for b in doc.boundaries]
    clean = doc.clean_run()
    units = [{"unit": u.unit, "seconds": u.duration_s,
              "locks": ", ".join(f"{m} on {r}" for r, m in u.locks.items()) or "–",
              "waiting": u.waiting_sessions, "requests": u.requests, "failed": u.failed,
              "slowed": u.slowed, "p99": u.p99_ms, "before": u.p99_before_ms}
             for u in (clean.statements if clean is not None else [])]
    threshold = ("not recorded" if doc.max_error_ratio is None
                 else f"{doc.max_error_ratio:.1%}")
    return {"script": doc.script, "units": "?" if doc.units is None else doc.units,
            "recovery": doc.recovery or "?", "status": doc.status, "threshold": threshold,
            "passed": doc.passed, "rows": rows, "statements": units,
            "chart": _svg(clean.series if clean is not None else None)}


def _svg(series: SeriesRecord | None) -> Markup | None:
    fig = rehearsal_figure(series)
    return None if fig is None else Markup(svg(fig, "rehearsal"))


@quiet
def rehearsal_figure(series: SeriesRecord | None) -> Figure | None:
    rows = series.rows if series is not None else []
    if series is None or not rows:
        return None
    step = float(series.step_s or 0.5)
    t = [r[0] for r in rows]
    fig = Figure(figsize=(9, 4.2))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(t, [_per_s(r[1], step) for r in rows], color="#334155", label="requests/s")
    top.plot(t, [_per_s(r[2], step) for r in rows], color="#dc2626", label="errors/s")
    bottom.plot(t, [r[3] for r in rows], color="#2563eb", label="p99 latency ms")
    for start, end, unit in series.units:
        for ax in (top, bottom):   # a unit of a few ms still shows as a visible band
            ax.axvspan(start, max(end, start + step / 5), color="#f59e0b", alpha=0.35, lw=0)
        top.annotate(str(unit), (start, 1), xycoords=("data", "axes fraction"),
                     fontsize=8, va="top", color="#b45309")
    top.legend(loc="upper left", fontsize=8, frameon=False)
    bottom.legend(loc="upper left", fontsize=8, frameon=False)
    bottom.set_xlabel("seconds from the first statement (bands: the script's units)")
    fig.tight_layout()
    return fig


def _per_s(count: float | None, step: float) -> float:
    """A step's count as a rate; a count not recorded is a gap in the line, not 0."""
    return float("nan") if count is None else count / step


def rehearsal_png(run: Run) -> bytes | None:
    """rehearsal.png: the clean run's requests, errors and latency, its units as bands."""
    clean = run.rehearsal.clean_run() if run.rehearsal is not None else None
    fig = rehearsal_figure(clean.series if clean is not None else None)
    return None if fig is None else png(fig)
