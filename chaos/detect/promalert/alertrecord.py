"""The detector's own section of the run record, and where its time to detect went:
fault → impact → pending → firing → notified.

    section = alert_record(detail, SectionFacts(t_fault=40.0, impact_t=40.4))
    section.split_s      # {"fault_to_impact": 0.4, ..., "firing_to_notified": 30.1}
    section.dominant     # "firing_to_notified"

*Impact* is the first instant after the fault at which any of the scenario's
indicators left its objective (``chaos.measure.indicators``): a failed request, a
backlog, a lag, slow answers; so the split adds up to the TTD whatever the system's
failure mode. Each part is the difference of two recorded instants, so the parts add
up to the total (``ttd_s``, fault to notification) whenever all of them were
recorded; a part whose ends were not both recorded is None. An alert that went
pending before any indicator left its objective has a negative ``impact_to_pending``
(the alert is more sensitive than the objective): still a sum. With no impact at all
the split is fault → pending → firing → notified. ``cause`` says which setting makes a
part long, for the post-mortem. Records written before indicators (``PARTS_V1``) split
at the first failed request instead.
"""

from __future__ import annotations

from typing import Any

from chaos.parts import SectionFacts
from chaos.record import Number, Section

PARTS = ("fault_to_impact", "impact_to_pending", "pending_to_firing", "firing_to_notified")
NO_IMPACT_PARTS = ("fault_to_pending", "pending_to_firing", "firing_to_notified")
PARTS_V1 = ("fault_to_first_failure", "first_failure_to_pending", "pending_to_firing",
            "firing_to_notified")


class AlertRecord(Section):
    """The detector's instants (trial clock) and the TTD split: ``detectors[i].alert``."""

    alert: str
    pending_t: Number | None = None
    firing_t: Number | None = None
    notified_t: Number | None = None
    resolved_t: Number | None = None
    for_s: Number | None = None
    expr: str | None = None
    scrape_interval_s: Number | None = None
    evaluation_interval_s: Number | None = None
    group_wait: str | None = None
    split_s: dict[str, Number | None] = {}
    """fault_to_impact, impact_to_pending, pending_to_firing, firing_to_notified:
    seconds each; they add up to ``ttd_s``."""
    ttd_s: Number | None = None
    resolved_s: Number | None = None
    dominant: str | None = None
    blind: list[dict[str, Any]] = []
    targets_down: list[str] = []


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 3)


def alert_split(detail: dict[str, Any], t_fault: float | None,
                first_failure_t: float | None) -> dict[str, Any]:
    marks = [t_fault, first_failure_t, detail.get("pending_t"), detail.get("firing_t"),
             detail.get("notified_t")]
    split = {name: _diff(marks[i], marks[i + 1]) for i, name in enumerate(PARTS)}
    known = {k: v for k, v in split.items() if v is not None}
    return {"split_s": split, "ttd_s": _diff(t_fault, detail.get("notified_t")),
            "resolved_s": _diff(t_fault, detail.get("resolved_t")),
            "dominant": max(known, key=lambda k: known[k]) if known else None}


def alert_record(detail: dict[str, Any], facts: SectionFacts) -> AlertRecord:
    """The section as written: the detector's instants and settings, and the split."""
    return AlertRecord.model_validate(
        {**detail, **alert_split(detail, facts.t_fault, facts.impact_t)})


def alert_notes(name: str, alert: AlertRecord) -> list[str]:
    """What the alerting stack could not see, for the trial's notes: never a silent null."""
    notes = []
    for b in alert.blind:
        until = f"to t={b['to_t']:.1f} s" if b.get("to_t") is not None else "to the end"
        notes.append(f"detector {name} was blind from t={b['from_t']:.1f} s {until}: "
                     f"the alerting stack did not answer ({b['reason']})")
    notes += [f"detector {name}: Prometheus could not scrape {target} (up == 0)"
              for target in alert.targets_down]
    return notes


def cause(part: str, alert: dict[str, Any]) -> str:
    """The setting behind a part of the split, in a sentence."""
    scrape, evaluation = alert.get("scrape_interval_s"), alert.get("evaluation_interval_s")
    if part == "pending_to_firing":
        hold = alert.get("for_s")
        return (f"the rule's `for: {hold:g}s`: the condition must hold that long before it fires"
                if hold else "the next rule evaluation after the condition held")
    if part == "firing_to_notified":
        return (f"Alertmanager's `group_wait: {alert.get('group_wait') or '30s'}`: a new alert "
                "group waits that long before its first notification")
    if part in ("impact_to_pending", "first_failure_to_pending", "fault_to_pending"):
        return ("the rule's expression crossing its threshold: errors must be scraped "
                f"(every {scrape:g}s) and evaluated (every {evaluation:g}s), and a rate over a "
                "long window moves slowly" if scrape and evaluation else
                "the rule's expression crossing its threshold")
    if part == "fault_to_impact":
        return "the fault taking that long to push an indicator outside its objective"
    return "the fault taking that long to fail a request"
