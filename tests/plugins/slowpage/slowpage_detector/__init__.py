"""``slow_page``: a third-party detector, whole in this one folder (tests/plugins/slowpage/).

It fires after ``count`` answers slower than ``above`` seconds, and brings what the
part contract lets a part bring (docs/architecture.md, "A detector with its own
record section"): its record section (``slow`` in its detector entry of result.json,
checked by ``SlowRecord``), its paragraph of the post-mortem and its chart
(slowpage.png). Installed by the dist-info beside it: an entry point in the
``chaos.detectors`` group, found on ``sys.path`` as the registry finds any other.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from chaos.plugin import (
    Chart,
    Count,
    Detector,
    Duration,
    Number,
    ReportSection,
    Section,
    SectionFacts,
    Strict,
    TrialView,
    detectors,
    seconds,
)


class SlowPageParams(Strict):
    above: Duration = 0.5
    count: int = 3


class SlowRecord(Section):
    """``trials[n].detectors[i].slow``."""

    above_s: Number
    slow: Count = 0
    slowest_s: Number | None = None
    first_slow_t: Number | None = None
    after_fault_s: Number | None = None


def _figure(trial: TrialView) -> Any:
    mine = [d.get("slow") for d in trial.record.get("detectors") or [] if d.get("slow")]
    if not mine:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 2.0), layout="constrained")
    ax = fig.subplots()
    t, err = trial.error_percent()
    ax.plot(t, [float("nan") if v is None else v for v in err], color="#dc2626")
    for section in mine:
        if section.get("first_slow_t") is not None:
            ax.axvline(section["first_slow_t"], color="#7c3aed")
    ax.set_ylabel("errors %", fontsize=8)
    return fig


SLOW_CHART = Chart(file="slowpage.png", title="Slow pages",
                   caption="Errors users saw, the first slow answer marked.",
                   alt="Errors over the trial, the first slow page marked",
                   shows=lambda trial: any(d.get("slow") for d in
                                           trial.record.get("detectors") or []),
                   draw=_figure)


@detectors.register("slow_page")
class SlowPage(Detector):
    """Fires once ``count`` answers took longer than ``above``."""

    Params = SlowPageParams
    record_key: ClassVar[str | None] = "slow"
    Record: ClassVar[type[BaseModel] | None] = SlowRecord
    charts: ClassVar[tuple[Chart, ...]] = (SLOW_CHART,)

    def __init__(self, name: str, params: Any, ctx: Any) -> None:
        super().__init__(name, params, ctx)
        self.slow: list[tuple[float, float]] = []    # (end, latency)

    def observe(self, end: float, ok: bool, latency_s: float) -> None:
        if latency_s > self.params.above:
            self.slow.append((end, latency_s))
            if len(self.slow) >= self.params.count and self.fired_at is None:
                self.fired_at = end

    def record_section(self, facts: SectionFacts) -> SlowRecord:
        first = self.slow[0][0] if self.slow else None
        after = (round(first - facts.t_fault, 3)
                 if first is not None and facts.t_fault is not None else None)
        return SlowRecord(above_s=self.params.above, slow=len(self.slow),
                          slowest_s=max((s for _, s in self.slow), default=None),
                          first_slow_t=first, after_fault_s=after)

    def record_notes(self, section: BaseModel) -> list[str]:
        slow = section.model_dump()["slow"]
        return [f"detector {self.name}: {slow} answers slower than {self.params.above:g} s"]

    @classmethod
    def report_section(cls, trials: list[dict[str, Any]]) -> ReportSection | None:
        lines = [f"**{d['name']}** (trial {t['trial']}): {d['slow']['slow']} slow answers, "
                 f"the slowest {seconds(d['slow'].get('slowest_s'))}, the first "
                 f"{seconds(d['slow'].get('after_fault_s'))} after the fault."
                 for t in trials for d in t.get("detectors") or [] if d.get("slow")]
        return ReportSection("Slow pages, as the plugin saw them:", lines) if lines else None
