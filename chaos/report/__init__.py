"""Reports: each a pure function of result.json + timeline.jsonl.

    paths = render_all("reports/20261130-013225-quick-a423")
    # postmortem.md (+ chart.png it embeds), report.html, junit.xml

Rendering never changes the record, so ``chaos report DIR`` can redo it at any
time. A damaged record raises ``ReportError`` (exit 2) before anything is
written; a renderer that breaks does not stop the others, and is reported
(exit 3) once they have all run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chaos.atomic import write_bytes, write_text
from chaos.errors import ReportError
from chaos.printable import printable
from chaos.report import thirdparty

thirdparty.own_caches()   # before any chart module imports matplotlib

from chaos.record import Run, load_run  # noqa: E402
from chaos.report import html, junit, postmortem  # noqa: E402
from chaos.report.partviews import run_charts  # noqa: E402
from chaos.report.rehearsalview import rehearsal_png  # noqa: E402

Renderer = Callable[[Run], str | bytes | None]

RENDERERS: dict[str, Renderer] = {
    "postmortem.md": postmortem.render,
    "chart.png": html.chart_png,        # the main chart, which postmortem.md embeds
    "indicators.png": html.indicators_png,   # declared indicators (None: only the error ratio)
    "report.html": html.render,
    "junit.xml": junit.render,
    "rehearsal.png": rehearsal_png,     # None unless the run is a rehearsal
}
PART_CHARTS_AFTER = "chart.png"   # the parts' own charts (alert.png...) are written next


def renderers(run: Run) -> dict[str, Renderer]:
    """``RENDERERS`` with the charts of the run's parts (``chaos.parts.Chart``)."""
    out: dict[str, Renderer] = {}
    for name, render in RENDERERS.items():
        out[name] = render
        if name == PART_CHARTS_AFTER:
            out.update({c.file: html.part_png(c) for c in run_charts(run)
                        if c.file not in RENDERERS})
    return out


def render_all(run_dir: str | Path) -> list[Path]:
    run = load_run(run_dir)
    written, broken = [], []
    for name, render in renderers(run).items():
        try:
            text = render(run)
        except Exception as exc:  # loud, but after the other reports are written
            broken.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        path = run.dir / name
        if text is None:      # nothing of this kind to draw for this run
            continue
        if isinstance(text, bytes):
            write_bytes(path, text)
        else:   # a scenario's control characters never reach a report raw
            write_text(path, printable(text))
        written.append(path)
    if broken:
        raise ReportError("could not render " + "; ".join(broken)
                          + (f" (wrote {', '.join(p.name for p in written)})" if written else ""))
    return written
