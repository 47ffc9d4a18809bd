"""Each indicator over the trial, with its objective: what "working" meant, and when it was not.

    fig = indicator_figure(story)   # None when the trial had only the request error ratio

One panel per indicator the scenario declared (the request error ratio has its own chart,
``chaos.report.charts``): its readings at the instants they describe, the objective as a
dashed line, the time it was outside shaded, and impact, mitigation and recovery marked.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from chaos.measure.eventkinds import Kind
from chaos.record import IndicatorRecord
from chaos.report.charts import tidy
from chaos.report.figfiles import quiet
from chaos.report.story import TrialStory

MARKS = ((Kind.IMPACT, "impact", "#dc2626"), (Kind.MITIGATED, "mitigated", "#d97706"),
         (Kind.RECOVERED, "recovered", "#16a34a"))
SCALE = {"error_rate": (100.0, "%"), "throughput": (100.0, "% of baseline"),
         "latency": (1000.0, "ms")}


def drawn(story: TrialStory) -> list[IndicatorRecord]:
    return [i for i in story.trial.indicators if i.name != "errors" and i.series]


def _t(reading: list[float | None]) -> float:
    """A reading's instant; one without is a damaged record, and the chart fails loudly."""
    if reading[0] is None:
        raise TypeError("an indicator reading without its instant")
    return reading[0]


@quiet
def indicator_figure(story: TrialStory) -> Figure | None:
    found = drawn(story)
    if not found:
        return None
    t0 = story.t_fault if story.t_fault is not None else 0.0
    fig = Figure(figsize=(11, 0.6 + 1.9 * len(found)), layout="constrained")
    axes = fig.subplots(len(found), 1, sharex=True, squeeze=False)[:, 0]
    for ax, ind in zip(axes, found, strict=True):
        factor, unit = SCALE.get(ind.type, (1.0, ""))
        points = [(_t(p) - t0, p[1]) for p in ind.series if isinstance(p[1], (int, float))]
        ax.plot([p[0] for p in points], [p[1] * factor for p in points], color="#334155",
                lw=1.4, drawstyle="steps-post", marker="." if len(points) < 120 else None, ms=3)
        gaps = [_t(p) - t0 for p in ind.series if not isinstance(p[1], (int, float))]
        for x in gaps:   # unreadable: counted as outside
            ax.axvline(x, color="#9ca3af", lw=0.6, ls=":")
        if ind.limit is not None:
            ax.axhline(ind.limit * factor, color="#6b7280", lw=0.8, ls="--")
        first, back = ind.first_out_t, ind.back_inside_t
        if first is not None:
            end = back if back is not None else (points[-1][0] + t0 if points else first)
            ax.axvspan(first - t0, end - t0, color="#fecaca", alpha=0.5, lw=0)
        ax.set_title(f"{ind.name} ({ind.type}): {ind.objective}",
                     fontsize=8, loc="left")
        ax.set_ylabel(unit or "value", fontsize=8)
        for kind, label, color in MARKS:
            for m in (e for e in story.events if e.get("kind") == kind):
                ax.axvline(m["t"] - t0, color=color, lw=1.0)
                if ax is axes[0]:
                    ax.text(m["t"] - t0, 1.0, f" {label}", color=color, fontsize=7, va="top",
                            rotation=90, transform=ax.get_xaxis_transform())
        tidy(ax)
    axes[-1].set_xlabel("seconds since the fault", fontsize=8)
    return fig
