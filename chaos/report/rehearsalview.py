"""A rehearsal in report.html: the boundary matrix, the clean run's units, its chart.

Read from ``rehearsal.json`` beside the run record (``chaos rehearse`` writes it after
every boundary); a run that is not a rehearsal has none, and these render nothing.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup
from matplotlib.figure import Figure

from chaos.record import Run
from chaos.report.figfiles import png, quiet, svg


def rehearsal_doc(run: Run) -> dict[str, Any] | None:
    path = run.dir / "rehearsal.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("boundaries"), list) else None


def error_cell(window: dict[str, Any] | None) -> str:
    """``12.5% of 80``, or ``not measured`` when no request ended in the window."""
    if not window or window.get("error_ratio") is None:
        return "not measured"
    return f"{window['error_ratio']:.1%} of {window.get('requests', '?')}"


def yes_cell(value: Any) -> str:
    return "not measured" if value is None else "yes" if value else "no"


def rehearsal_view(run: Run) -> dict[str, Any] | None:
    doc = rehearsal_doc(run)
    if doc is None:
        return None
    rows = []
    for b in doc["boundaries"]:
        if not isinstance(b, dict):
            continue
        half = b.get("half_applied") or {}
        clean = b.get("boundary") == "clean"
        rows.append({"describe": str(b.get("describe", "?")), "errors": error_cell(half),
                     "broken": ", ".join(list(half.get("failing") or {})[:4]) or "–",
                     "recovery": "–" if b.get("recovery") is None else str(b["recovery"]),
                     "converged": "–" if clean else yes_cell(b.get("converged")),
                     "serving": yes_cell(b.get("serving_again")), "passed": bool(b.get("passed")),
                     "reasons": [str(r) for r in b.get("reasons") or []]})
    clean = next((b for b in doc["boundaries"]
                  if isinstance(b, dict) and b.get("boundary") == "clean"), {})
    units = [{"unit": u.get("unit"), "seconds": u.get("duration_s"),
              "locks": ", ".join(f"{m} on {r}" for r, m in (u.get("locks") or {}).items())
              or "–", "waiting": u.get("waiting_sessions"), "requests": u.get("requests"),
              "failed": u.get("failed"), "slowed": u.get("slowed"),
              "p99": u.get("p99_ms"), "before": u.get("p99_before_ms")}
             for u in clean.get("statements") or [] if isinstance(u, dict)]
    return {"script": str(doc.get("script", "?")), "units": doc.get("units"),
            "recovery": str(doc.get("recovery", "?")), "status": str(doc.get("status", "?")),
            "threshold": f"{float(doc.get('max_error_ratio') or 0):.1%}",
            "passed": bool(doc.get("passed")), "rows": rows, "statements": units,
            "chart": _svg(clean.get("series") or {})}


def _svg(series: dict[str, Any]) -> Markup | None:
    fig = rehearsal_figure(series)
    return None if fig is None else Markup(svg(fig, "rehearsal"))


@quiet
def rehearsal_figure(series: dict[str, Any]) -> Figure | None:
    rows = series.get("rows") or []
    if not rows:
        return None
    step = float(series.get("step_s") or 0.5)
    t = [r[0] for r in rows]
    fig = Figure(figsize=(9, 4.2))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(t, [r[1] / step for r in rows], color="#334155", label="requests/s")
    top.plot(t, [r[2] / step for r in rows], color="#dc2626", label="errors/s")
    bottom.plot(t, [r[3] for r in rows], color="#2563eb", label="p99 latency ms")
    for start, end, unit in series.get("units") or []:
        for ax in (top, bottom):   # a unit of a few ms still shows as a visible band
            ax.axvspan(start, max(end, start + step / 5), color="#f59e0b", alpha=0.35, lw=0)
        top.annotate(str(unit), (start, 1), xycoords=("data", "axes fraction"),
                     fontsize=8, va="top", color="#b45309")
    top.legend(loc="upper left", fontsize=8, frameon=False)
    bottom.legend(loc="upper left", fontsize=8, frameon=False)
    bottom.set_xlabel("seconds from the first statement (bands: the script's units)")
    fig.tight_layout()
    return fig


def rehearsal_png(run: Run) -> bytes | None:
    """rehearsal.png: the clean run's requests, errors and latency, its units as bands."""
    doc = rehearsal_doc(run)
    if doc is None:
        return None
    clean = next((b for b in doc["boundaries"]
                  if isinstance(b, dict) and b.get("boundary") == "clean"), {})
    fig = rehearsal_figure(clean.get("series") or {})
    return None if fig is None else png(fig)
