"""The alert's own picture: the rule's expression over the trial, on the same time
axis as the errors users saw, with pending / firing / notified / resolved marked.

    fig = alert_figure(trial)     # None when no detector recorded an expression

The expression comes from Prometheus's ``query_range`` at the end of the trial
(the detector's ``alert_expression`` event); a threshold comparison (``x > 0.05``)
is drawn as ``x`` with the threshold as a dashed line. Figures are built without
pyplot; the report gives every panel its look and keeps matplotlib's warnings quiet.
``ALERT_CHART`` is the detector's ``charts`` hook: alert.png.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaos.measure.eventkinds import Kind
from chaos.parts import Chart, TrialView

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MARKS = ((Kind.ALERT_PENDING, "pending", "#d97706"), (Kind.ALERT_FIRING, "firing", "#dc2626"),
         (Kind.ALERT_NOTIFIED, "notified", "#7c3aed"),
         (Kind.ALERT_RESOLVED, "resolved", "#16a34a"))


def expressions(story: TrialView) -> list[dict[str, Any]]:
    return [e for e in story.events if e.get("kind") == Kind.ALERT_EXPRESSION
            and e.get("series")]


def alert_figure(story: TrialView) -> Figure | None:
    found = expressions(story)
    if not found:
        return None
    from matplotlib import figure  # only when there is something to draw

    t0 = story.t_fault if story.t_fault is not None else 0.0
    fig = figure.Figure(figsize=(11, 2.2 + 1.8 * len(found)), layout="constrained")
    axes = fig.subplots(len(found) + 1, 1, sharex=True, squeeze=False)[:, 0]
    t, err = story.error_percent()
    axes[0].plot([x - t0 for x in t], [float("nan") if v is None else v for v in err],
                 color="#dc2626", lw=1.4)
    axes[0].set_ylabel("errors % (requests)", fontsize=8)
    axes[0].set_ylim(0, 105)
    for ax, e in zip(axes[1:], found, strict=True):
        for points in e["series"]:
            ax.plot([p[0] - t0 for p in points], [p[1] for p in points], color="#334155",
                    lw=1.4, drawstyle="steps-post")
        if isinstance(e.get("threshold"), (int, float)):
            ax.axhline(e["threshold"], color="#6b7280", lw=0.8, ls="--")
        query = str(e.get("query") or "")
        ax.set_title(f"{e.get('alert')}: {query[:110]}" + ("…" if len(query) > 110 else ""),
                     fontsize=8, loc="left")
        ax.set_ylabel("expression", fontsize=8)
    for ax in axes:
        for kind, label, color in MARKS:
            for m in (m for m in story.events if m.get("kind") == kind):
                ax.axvline(m["t"] - t0, color=color, lw=1.0)
                if ax is axes[0]:
                    ax.text(m["t"] - t0, 102, f" {label}", color=color, fontsize=7,
                            va="top", rotation=90)
    axes[-1].set_xlabel("seconds since the fault", fontsize=8)
    return fig


ALERT_CHART = Chart(
    file="alert.png", title="Alert rule",
    caption=("The rule's expression as Prometheus evaluated it over the trial (query_range), "
             "under the error ratio users saw; pending, firing, notified and resolved marked."),
    alt="The alert rule's expression over the trial, pending, firing and notified marked",
    shows=lambda trial: bool(expressions(trial)), draw=alert_figure)
