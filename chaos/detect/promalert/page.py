"""A notification as a pager shows it: the ``page`` field of ``alert_notified`` and
``alert_resolved`` events, which the live page (``chaos.live.pager``) reads."""

from __future__ import annotations

from typing import Any


def page_of(alerts: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """Which alert, how bad, what its summary says: the alert's own annotations
    (``summary``, else ``description``) as written in the user's rules; its labels other
    than ``alertname`` and ``severity`` stay out."""
    first = alerts[0]
    labels = first.get("labels") or {}
    notes = first.get("annotations") or {}
    summary = str(notes.get("summary") or notes.get("description") or "")
    return {"status": status, "alert": str(labels.get("alertname") or ""),
            "severity": str(labels.get("severity") or ""), "summary": summary[:300],
            "count": len(alerts)}
