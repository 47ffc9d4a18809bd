"""Charts of a run with matplotlib: request rate, error ratio and p95 latency over time.

    fig = trial_figure(story)          # one trial: phases shaded, every event marked
    svg(fig, "trial-1")                # inline <svg> for report.html (chaos.report.figfiles)
    png(main_figure(stories(run)))     # chart.png next to postmortem.md

Phases are spans on the trial clock, from the events: *fault active* (injected
→ reverted, or the end), *detected* (first alert or person's ``detected`` mark
→ errors stopped), *mitigated* (errors stopped → steady state held), and
*recovered* (from then on). The x axis is seconds since the fault, as the
post-mortem's offsets are. Figures are built without pyplot, so rendering is
safe from any thread and never opens a window.

matplotlib warns on what a damaged or degenerate record makes it draw (identical
axis limits, a layout that cannot fit): those warnings are about our drawing, not
the user's input, so every public function here routes them to the
``chaos.report`` logger instead of the user's stderr (``figfiles.quiet``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chaos.measure.eventkinds import Kind
from chaos.measure.phases import Phase, phases_from_events
from chaos.measure.quantiles import quantile
from chaos.record import TrialRecord
from chaos.report.figfiles import quiet
from chaos.report.sampleseries import number as _number
from chaos.report.sampleseries import series as _sample_series
from chaos.report.story import TrialStory

PHASE_COLORS = {Phase.FAULT_ACTIVE: "#f59e0b", Phase.DETECTED: "#dc2626",
                Phase.MITIGATED: "#2563eb", Phase.RECOVERED: "#16a34a"}
FAULT_BAR = "#b45309"   # the band at the top of a chart while a fault is in place
SERIES = (("requests/s", "#334155"), ("errors %", "#dc2626"), ("p95 latency ms", "#2563eb"))
METRICS: tuple[tuple[Callable[[TrialRecord], float | None], str], ...] = (
    (lambda t: t.ttd_s, "time to detect"), (lambda t: t.human_ttd_s, "time to detect (people)"),
    (lambda t: t.tta_s, "time to acknowledge"), (lambda t: t.ttm_s, "time to mitigate"),
    (lambda t: t.ttr_s, "time to recover"), (lambda t: t.outage_s, "outage"))
QUIET = (Kind.SAMPLE, Kind.REPLICATION_LAG)   # recorded once a second: no label each
MAX_ROWS = 12            # trials drawn as rows of small charts; the tables list them all


def event_color(e: dict[str, Any]) -> str:
    kind = str(e.get("kind"))
    if kind == Kind.MARK:
        return "#7c3aed"
    if kind.startswith("fault"):
        return "#d97706"
    if kind == Kind.DETECTOR_FIRED:
        return "#dc2626"
    if kind.startswith(("step_", "recovery_")):
        return "#2563eb"
    if kind in (Kind.MITIGATED, Kind.RECOVERED):
        return "#16a34a"
    return "#6b7280"


def event_label(e: dict[str, Any]) -> str:
    # A "$" would start matplotlib's math mode: notes are people's free text.
    return _label(e).replace("$", r"\$")


def _label(e: dict[str, Any]) -> str:
    kind = str(e.get("kind"))
    if kind == Kind.MARK:
        text = f"mark: {e.get('mark', '?')}" + (" (premature)" if e.get("premature") else "")
        return text if not e.get("note") else f"{text} — {str(e['note'])[:28]}"
    if kind == Kind.DETECTOR_FIRED:
        return f"alert: {e.get('name', '?')}"
    if kind == Kind.BACKUP_TAKEN:
        return f"backup #{e.get('number', '?')}"
    if kind in (Kind.STEP_STARTED, Kind.STEP_DONE, Kind.STEP_FAILED):
        n = e["index"] + 1 if isinstance(e.get("index"), int) else "?"
        return f"step {n} {kind.removeprefix('step_')}: {e.get('step', '?')}"
    if kind.startswith("fault"):
        return f"{kind.replace('_', ' ')}: {e.get('fault', '?')}"
    return kind.replace("_", " ")


def phases(story: TrialStory, end: float) -> list[tuple[Phase, float, float]]:
    """The trial's phases as spans, from its recorded events (``chaos.measure.phases``)."""
    return phases_from_events(story.events, story.t_fault, end)


def fault_spans(story: TrialStory) -> list[tuple[float, float]]:
    """When each fault with a duration was in place (injected → reverted)."""
    out = []
    for f in (e for e in story.events if e.get("kind") == Kind.FAULT_INJECTED):
        back = next((e["t"] for e in story.events if e.get("kind") == Kind.FAULT_REVERTED
                     and e.get("index") == f.get("index") and e["t"] >= f["t"]), None)
        if back is not None:
            out.append((f["t"], back))
    return out


def tidy(ax: Any) -> None:
    """The small-panel look: light horizontal grid, no top or right spine, small ticks."""
    ax.grid(axis="y", color="#e5e7eb", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=7)


def plausible(story: TrialStory) -> TrialStory:
    """The story without events and samples whose time no trial could have (damaged input)."""
    def ok(rec: dict[str, Any]) -> bool:
        return _number(rec.get("t")) is not None

    return TrialStory(story.n, story.trial, [e for e in story.events if ok(e)],
                      [s for s in story.samples if ok(s)])


def _origin(story: TrialStory) -> float:
    return story.t_fault if story.t_fault is not None else 0.0


def _span(story: TrialStory) -> tuple[float, float]:
    times = [e["t"] for e in story.events] + [s["t"] for s in story.samples]
    return (min(times), max(times)) if times else (0.0, 1.0)


def _plot_series(axes: list[Axes], story: TrialStory, small: bool) -> None:
    t0 = _origin(story)
    start, end = _span(story)
    t, rps, err, p95 = _sample_series(story.samples)
    values: tuple[Sequence[float | None], ...] = (rps, err, p95)
    x = [v - t0 for v in t]
    for ax, (label, color), ys in zip(axes, SERIES, values, strict=True):
        for name, a, b in phases(story, end):
            ax.axvspan(a - t0, b - t0, color=PHASE_COLORS[name], alpha=0.15, lw=0)
        for a, b in fault_spans(story):
            ax.axvspan(a - t0, b - t0, ymin=0.95, ymax=1.0, color=FAULT_BAR, lw=0)
        for e in story.events:
            if e.get("kind") not in QUIET:
                ax.axvline(e["t"] - t0, color=event_color(e), lw=0.6 if small else 0.8,
                           alpha=0.7, ls="--" if e.get("kind") == "mark" else "-")
        ax.plot(x, [float("nan") if v is None else v for v in ys], color=color,
                lw=1.2 if small else 1.6)
        ax.set_ylim(bottom=0, top=105 if label == "errors %" else None)
        ax.set_xlim(start - t0, end - t0)
        ax.grid(axis="y", color="#e5e7eb", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        if small:
            ax.set_title(label, fontsize=8, loc="left")
            ax.tick_params(labelsize=7)
        else:
            ax.set_ylabel(label, fontsize=9)
            ax.tick_params(labelsize=8)


def _label_events(ax: Axes, story: TrialStory, width_in: float) -> None:
    """Every event's name above the chart, nudged apart with a leader line where crowded."""
    t0 = _origin(story)
    start, end = _span(story)
    gap = (end - start) * 0.14 / max(width_in, 1)   # ~one rotated line of text
    placed = -float("inf")
    for e in sorted((e for e in story.events if e.get("kind") not in QUIET), key=lambda e: e["t"]):
        x = e["t"] - t0
        at = max(x, placed + gap)
        placed = at
        color = event_color(e)
        ax.plot([x, x, at], [0, 0.08, 0.16], color=color, lw=0.6)
        ax.text(at, 0.18, event_label(e), rotation=90, fontsize=7, color=color,
                va="bottom", ha="center")
    ax.set_ylim(0, 1)
    ax.axis("off")


@quiet
def trial_figure(story: TrialStory) -> Figure:
    """The main chart of one trial: events on top, then rate, errors, latency."""
    width = 11.0
    fig = Figure(figsize=(width, 8.2), layout="constrained")
    grid = fig.add_gridspec(4, 1, height_ratios=[1.5, 1, 1, 1])
    top = fig.add_subplot(grid[0])
    axes = [fig.add_subplot(grid[i + 1], sharex=top) for i in range(3)]
    _plot_series(axes, story, small=False)
    _label_events(top, story, width * 0.85)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[-1].set_xlabel("seconds since the fault" if story.t_fault is not None
                        else "seconds since the trial started", fontsize=9)
    handles = [_patch(c, n) for n, c in PHASE_COLORS.items()]
    if fault_spans(story):
        handles.append(_patch(FAULT_BAR, "fault in place (top band)", alpha=0.9))
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=8, frameon=False)
    return fig


def _patch(color: str, label: str, alpha: float = 0.25) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=color, alpha=alpha, label=label)


@quiet
def trial_row_figure(story: TrialStory) -> Figure:
    """One row of small charts for one trial of several."""
    fig = Figure(figsize=(11, 1.9), layout="constrained")
    axes = list(fig.subplots(1, 3, sharex=True))
    _plot_series(axes, story, small=True)
    fig.suptitle(f"trial {story.n}", x=0.0, ha="left", fontsize=9, fontweight="bold")
    return fig


@quiet
def trials_figure(all_stories: list[TrialStory]) -> Figure:
    """Every trial as a row of small charts, in one figure (the PNG of a multi-trial run)."""
    fig = Figure(figsize=(11, 1.9 * len(all_stories) + 0.4), layout="constrained")
    subfigs = fig.subfigures(len(all_stories), 1, squeeze=False)[:, 0]
    for sub, story in zip(subfigs, all_stories, strict=True):
        axes = list(sub.subplots(1, 3, sharex=True))
        _plot_series(axes, story, small=True)
        sub.suptitle(f"trial {story.n}", x=0.0, ha="left", fontsize=9, fontweight="bold")
    return fig


@quiet
def distribution_figure(all_stories: list[TrialStory]) -> Figure | None:
    """Each time metric across trials: every trial a dot, the median a bar."""
    present = [(read, label) for read, label in METRICS
               if any(_number(read(s.trial)) is not None for s in all_stories)]
    if not present:
        return None
    fig = Figure(figsize=(11, 1.0 + 0.45 * len(present)), layout="constrained")
    ax = fig.add_subplot()
    for row, (read, _label) in enumerate(present):
        values = [v for s in all_stories if (v := _number(read(s.trial))) is not None]
        nulls = len(all_stories) - len(values)
        jitter = [row + 0.18 * ((i % 5) - 2) / 2 for i in range(len(values))]
        ax.scatter(values, jitter, s=16, color="#334155", alpha=0.75, zorder=3)
        middle = quantile(values, 0.5)
        ax.plot([middle, middle], [row - 0.3, row + 0.3], color="#dc2626", lw=2, zorder=4)
        if nulls:
            ax.text(1.0, row, f"  {nulls} null", transform=ax.get_yaxis_transform(),
                    fontsize=7, va="center", color="#6b7280")
    ax.set_yticks(range(len(present)), [label for _, label in present], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("seconds (dots: trials; red bar: median)", fontsize=8)
    ax.set_xlim(left=0)
    ax.grid(axis="x", color="#e5e7eb", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    return fig


def drawable(all_stories: list[TrialStory]) -> list[TrialStory]:
    """The trials there is something to draw for, cleaned, at most ``MAX_ROWS`` of them."""
    clean = [plausible(s) for s in all_stories]
    return [s for s in clean if s.samples or s.events][:MAX_ROWS]


@quiet
def main_figure(all_stories: list[TrialStory]) -> Figure:
    drawn = drawable(all_stories)
    if not drawn:
        fig = Figure(figsize=(6, 1))
        fig.text(0.5, 0.5, "nothing was recorded: no samples, no events", ha="center",
                 va="center", color="#6b7280")
        return fig
    if len(all_stories) == 1:
        return trial_figure(drawn[0])
    return trials_figure(drawn)
