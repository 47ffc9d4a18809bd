"""report.html: the run as one self-contained page (opens offline, no external assets).

    render(load_run("reports/20261130-013225-quick-a423"))   # -> HTML text

Charts are matplotlib figures inlined as SVG (``charts.py``): for one trial the
main chart, phases shaded and every event marked; for several, a row of small
charts per trial and the distribution of each time metric. Around them: the
metrics-versus-targets table, the timeline, and the post-mortem's own text,
all from the same view ``postmortem.render`` fills, so the two never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jinja2
from markupsafe import Markup, escape

from chaos.parts import Chart
from chaos.record import Run
from chaos.report.partviews import run_charts
from chaos.report.postmortem import TEMPLATES, view
from chaos.report.rehearsalview import rehearsal_view
from chaos.report.story import TrialStory, stories

_CODE = re.compile(r"``? (.+?) ``?|`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def inline_md(text: Any) -> Markup:
    """The little Markdown the post-mortem's sentences use (code, bold), as safe HTML."""
    html = str(escape(str(text).replace("\\|", "|")))
    html = _CODE.sub(lambda m: f"<code>{m.group(1) or m.group(2)}</code>", html)
    return Markup(_BOLD.sub(r"<strong>\1</strong>", html))


def chart_view(run: Run) -> dict[str, Any]:
    from chaos.report import charts, figfiles  # matplotlib: only when a chart is drawn

    all_stories = stories(run)
    drawn = charts.drawable(all_stories)
    view: dict[str, Any] = {"main": None, "rows": [], "distribution": None,
                            "not_drawn": max(0, len(all_stories) - len(drawn)),
                            "indicators": [], "parts": []}
    from chaos.report import indicatorchart
    for s in all_stories[:3]:
        fig = indicatorchart.indicator_figure(s)
        if fig is not None:
            view["indicators"].append({"n": s.n, "svg": Markup(figfiles.svg(
                fig, f"indicators-{s.n}"))})
    view["parts"] = part_charts(run, all_stories[:3])
    if not drawn:
        return view
    if len(all_stories) == 1:
        view["main"] = Markup(figfiles.svg(charts.trial_figure(drawn[0]), "trial-1-chart"))
        return view
    view["rows"] = [{"n": s.n, "svg": Markup(figfiles.svg(charts.trial_row_figure(s),
                                                         f"trial-{s.n}-row"))} for s in drawn]
    dist = charts.distribution_figure(all_stories)
    view["distribution"] = Markup(figfiles.svg(dist, "distribution")) if dist is not None else None
    return view


def render(run: Run) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["md"] = inline_md
    context = view(run)
    context["charts"] = chart_view(run)
    context["rehearsal"] = rehearsal_view(run)
    return env.get_template("report.html.j2").render(**context)


def _first_png(run: Run, figure: Any, dress: bool = False) -> bytes | None:
    """The first trial's figure by ``figure(story)`` as PNG (None: no trial drew one)."""
    from chaos.report import figfiles

    for story in stories(run):
        fig = figfiles.quiet(figure)(story)
        if fig is not None:
            return figfiles.png(_dressed(fig) if dress else fig)
    return None


def _dressed(fig: Any) -> Any:
    """A part's figure in the reports' look (the part draws, the report styles)."""
    from chaos.report.charts import tidy

    for ax in fig.axes:
        tidy(ax)
    return fig


def _text(caption: str) -> Markup:
    """A part's caption as element text: escaped, its quotes left as they are."""
    return Markup(str(escape(caption)).replace("&#39;", "'").replace("&#34;", '"'))


def part_charts(run: Run, shown: list[TrialStory]) -> list[dict[str, Any]]:
    """The run's parts' charts of these trials, inline: a heading, the SVG, a caption."""
    from chaos.report import figfiles

    out = []
    for chart in run_charts(run):
        for s in shown:
            fig = figfiles.quiet(chart.draw)(s)
            if fig is not None:
                stem = chart.file.rsplit(".", 1)[0]
                out.append({"title": _text(chart.title), "caption": _text(chart.caption),
                            "n": s.n, "svg": Markup(figfiles.svg(_dressed(fig), f"{stem}-{s.n}"))})
    return out


def part_png(chart: Chart) -> Callable[[Run], bytes | None]:
    """The renderer of a part's chart file: its first trial that draws one, as PNG."""
    def render(run: Run) -> bytes | None:
        return _first_png(run, chart.draw, dress=True)
    return render


def indicators_png(run: Run) -> bytes | None:
    """indicators.png: the first trial's declared indicators (None: it had none)."""
    from chaos.report import indicatorchart

    return _first_png(run, indicatorchart.indicator_figure)


def chart_png(run: Run) -> bytes:
    """chart.png, the main chart postmortem.md embeds."""
    from chaos.report import charts, figfiles

    return figfiles.png(charts.main_figure(stories(run)))
