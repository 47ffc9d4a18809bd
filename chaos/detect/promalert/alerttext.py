"""The detector's paragraph of the post-mortem: where its time to detect went, and why.

For each detector of this kind, one line per trial (or the medians over the
trials): fault → impact → pending → firing → notified, the total, the part that
dominated and the setting that causes it (``record.cause``), and a resolved
notification if one came. The detector's ``report_section`` hook.
"""

from __future__ import annotations

import statistics
from typing import Any

from chaos.detect.promalert.alertrecord import NO_IMPACT_PARTS, PARTS, PARTS_V1, cause
from chaos.parts import ReportSection, seconds

TITLE = "Alerting, as the real rules saw it:"

LABELS = {"fault_to_impact": "impact", "impact_to_pending": "pending",
          "fault_to_pending": "pending",
          "fault_to_first_failure": "first failed request",
          "first_failure_to_pending": "pending", "pending_to_firing": "firing",
          "firing_to_notified": "notified"}
PART_NAMES = {"fault_to_impact": "fault → impact", "impact_to_pending": "impact → pending",
              "fault_to_pending": "fault → pending",
              "fault_to_first_failure": "fault → first failed request",
              "first_failure_to_pending": "first failed request → pending",
              "pending_to_firing": "pending → firing", "firing_to_notified": "firing → notified"}


def parts_of(alerts: list[dict[str, Any]]) -> tuple[str, ...]:
    """The split's parts as these records wrote them (older records: ``PARTS_V1``)."""
    keys = {k for a in alerts for k in (a.get("split_s") or {})}
    for parts in (PARTS, NO_IMPACT_PARTS, PARTS_V1):
        if parts[0] in keys:
            return parts
    return PARTS


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(known) if known else None


def chain(split: dict[str, Any], parts: tuple[str, ...] = PARTS) -> str:
    return "fault → " + " → ".join(f"{LABELS[p]} +{seconds(split.get(p))}" for p in parts)


def report_section(records: list[dict[str, Any]], key: str) -> ReportSection | None:
    """``records``: the trials' records; ``key``: the detector's section in them."""
    alerts: dict[str, list[dict[str, Any]]] = {}
    for trial in records:
        for d in trial.get("detectors") or []:
            if d.get(key):
                alerts.setdefault(d["name"], []).append(d[key])
    lines = alerting_text(alerts)
    return ReportSection(TITLE, lines) if lines else None


def alerting_text(alerts: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Markdown lines, one per alert detector (by name: its sections, trial by trial)."""
    out = []
    for name, seen in alerts.items():
        first = seen[0]
        parts = parts_of(seen)
        split = {p: _median([a.get("split_s", {}).get(p) for a in seen]) for p in parts}
        ttd = _median([a.get("ttd_s") for a in seen])
        notified = sum(1 for a in seen if a.get("ttd_s") is not None)
        many = len(seen) > 1
        head = f"**{first['alert']}** ({name})" + (
            f", median of {len(seen)} trials" if many else "")
        if ttd is None:
            reached = [LABELS[p] for p in parts if split.get(p) is not None]
            out.append(f"{head}: no notification reached chaos"
                       + (f" (it got as far as {reached[-1]})" if reached else "")
                       + _blind(seen))
            continue
        known = {p: v for p, v in split.items() if v is not None}
        top = max(known, key=lambda p: known[p])
        text = (f"{head}: {chain(split, parts)} = TTD {seconds(ttd)}"
                + (f" (notified in {notified} of {len(seen)} trials)" if many else "")
                + f". The longest part, {PART_NAMES[top]} ({seconds(known[top])}), is "
                f"{cause(top, first)}{_route(top, first)}.")
        resolved = _median([a.get("resolved_s") for a in seen])
        if resolved is not None:
            text += f" Resolved notification {seconds(resolved)} after the fault."
        out.append(text + _blind(seen))
    return out


def _route(part: str, alert: dict[str, Any]) -> str:
    """Whose ``group_wait`` the cause quotes: the route Alertmanager's routing chose, or
    the top route's when that could not be worked out (said, never silent)."""
    route = alert.get("route")
    if part != "firing_to_notified" or not isinstance(route, dict):
        return ""
    if not route.get("verified"):
        return (" (the top route's value: which route the alert took is unverified, "
                f"{route.get('note') or 'amtool gave no answer'})")
    return (f" (of the route it took, `{route.get('path')}` to receiver "
            f"`{route.get('receiver')}`)")


def _blind(seen: list[dict[str, Any]]) -> str:
    spans = [b for a in seen for b in a.get("blind") or []]
    if not spans:
        return ""
    b = spans[0]
    return (f" The alerting stack was blind from t={b['from_t']:.1f} s"
            + (f" in {len(spans)} spans" if len(spans) > 1 else "") + f" ({b['reason']}).")
