"""The metrics of one trial, as docs/measurement.md defines them: a pure function
of the trial's events and request counts, so any report can recompute them later.

A null is never replaced by a limit or a zero. ``impact`` says whether any of
the scenario's indicators (the request error ratio, and the system's own: SQL,
PromQL, latency, throughput, probes) left its objective after the fault: the
``impact`` event (``chaos.measure.indicators``). Without impact there is nothing
to detect or recover from, and the time metrics stay null for that reason
(``no_impact``, naming the indicators that were watched).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from chaos.measure.timeline import fault_instant, first_event

TIME_METRICS = ("tti_s", "ttd_s", "tta_s", "ttm_s", "ttr_s", "outage_s")


@dataclass
class RequestCounts:
    total: int = 0
    failed: int = 0
    failed_after_fault: int = 0
    first_failure_t: float | None = None   # answer time of the first failed request after the fault
    last_failure_t: float | None = None

    def add(self, end_t: float, ok: bool, t_fault: float | None) -> None:
        self.total += 1
        if ok:
            return
        self.failed += 1
        if t_fault is not None and end_t >= t_fault:
            self.failed_after_fault += 1
            if self.first_failure_t is None or end_t < self.first_failure_t:
                self.first_failure_t = end_t
            if self.last_failure_t is None or end_t > self.last_failure_t:
                self.last_failure_t = end_t


@dataclass
class TrialMetrics:
    impact: bool
    tti_s: float | None = None           # fault -> the first indicator outside its objective
    impact_by: str | None = None         # that indicator
    ttd_s: float | None = None
    tta_s: float | None = None
    ttm_s: float | None = None
    ttr_s: float | None = None
    outage_s: float | None = None
    detected_by: str | None = None
    human_ttd_s: float | None = None     # fault -> the first `detected` mark a responder made
    human_ttd_by: str | None = None      # who
    human_vs_alert_s: float | None = None   # human_ttd_s - ttd_s: negative, people were first
    diagnoses: list[dict[str, Any]] = field(default_factory=list)   # "we think the cause is"
    human_tta_s: float | None = None     # that mark -> recovery started (or `mitigated` mark)
    human_ttr_s: float | None = None     # fault -> the first `recovered` mark
    premature_marks: int = 0             # `recovered` marks made while errors continued
    failed_requests: int = 0
    total_requests: int = 0
    error_budget_burned: float | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _since(event: dict[str, Any] | None, t0: float) -> float | None:
    return None if event is None else round(event["t"] - t0, 3)


def compute(events: list[dict[str, Any]], counts: RequestCounts,
            slo: float | None = None, watched: list[str] | None = None,
            t_fault: float | None = None) -> TrialMetrics:
    """The metrics, counted from ``t_fault`` (the trial's own; without it, the first
    fault event's); ``watched`` names the indicators (for the "no impact" note)."""
    t0 = t_fault if t_fault is not None else fault_instant(events)
    impact = first_event(events, "impact", after=t0) if t0 is not None else None
    m = TrialMetrics(impact=impact is not None, failed_requests=counts.failed,
                     total_requests=counts.total)
    if slo is not None and counts.total:
        allowed = (1.0 - slo) * counts.total
        m.error_budget_burned = round(counts.failed / allowed, 3) if allowed else None
    if t0 is None:
        m.notes.append("no fault was injected")
        return m
    fired = first_event(events, "detector_fired", after=t0)
    recovery = first_event(events, "recovery_started", after=t0)
    m.ttd_s = _since(fired, t0)
    m.detected_by = fired.get("name") if fired else None
    if fired and recovery:
        m.tta_s = round(recovery["t"] - fired["t"], 3)
    human_marks(m, events, t0)
    if impact is None:
        names = ", ".join(watched or ["errors"])
        m.notes.append(f"no impact: no indicator left its objective after the fault "
                       f"(watched: {names})")
        return m
    m.tti_s, m.impact_by = _since(impact, t0), impact.get("indicator")
    mitigated = first_event(events, "mitigated", after=t0)
    m.ttm_s = _since(mitigated, t0)
    m.ttr_s = _since(first_event(events, "recovered", after=t0), t0)
    if mitigated is not None:
        m.outage_s = round(max(0.0, mitigated["t"] - impact["t"]), 3)
    if m.ttd_s is None:
        m.notes.append(f"indicator '{m.impact_by}' left its objective at "
                       f"t={impact['t'] - t0:+.1f} s after the fault but no detector fired")
    if m.ttr_s is None:
        m.notes.append("service was not restored within the time limit")
    return m


def human_marks(m: TrialMetrics, events: list[dict[str, Any]], t0: float) -> None:
    """Game-day metrics from the ``mark`` events people made, next to the alerts' own.

    Human TTA runs from the first ``detected`` mark to whichever came first after it:
    the recovery starting (a runbook step run from the live page) or a ``mitigated``
    mark (people fixed it by hand, outside the tool). Only responders' marks count (and
    marks of records from before roles): a facilitator who injected knows the answer.
    """
    responders = [e for e in events if e["kind"] == "mark"
                  and e.get("role") in (None, "responder")]
    detected = first_event(responders, "mark", after=t0, mark="detected")
    recovered = first_event(responders, "mark", after=t0, mark="recovered")
    m.human_ttd_s = _since(detected, t0)
    m.human_ttd_by = detected.get("by") if detected is not None else None
    if m.human_ttd_s is not None and m.ttd_s is not None:
        m.human_vs_alert_s = round(m.human_ttd_s - m.ttd_s, 3)
    m.diagnoses = [{"t_s": _since(e, t0), "wall": e.get("wall"), "by": e.get("by"),
                    "note": e.get("note")} for e in events
                   if e["kind"] == "mark" and e.get("mark") == "diagnosis"]
    m.human_ttr_s = _since(recovered, t0)
    m.premature_marks = sum(1 for e in events if e["kind"] == "mark" and e.get("premature"))
    if detected is not None:
        acted = [e for e in (first_event(events, "recovery_started", after=detected["t"]),
                             first_event(events, "mark", after=detected["t"], mark="mitigated"))
                 if e is not None]
        if acted:
            m.human_tta_s = round(min(e["t"] for e in acted) - detected["t"], 3)
