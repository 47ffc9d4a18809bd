"""The detector's own events told for people (``describe``), and what its notification
says about the alert's settings (``lessons``)."""

from __future__ import annotations

from typing import Any

from chaos.measure.eventkinds import Kind
from chaos.parts import Lesson, code


def route_text(route: Any) -> str:
    """" of route `route.routes[0]`, receiver `pager`", or why that is unverified."""
    if not isinstance(route, dict):
        return ""
    if not route.get("verified"):
        return " of the top route; unverified: amtool gave no answer on the route it took"
    return f" of route {code(route.get('path'))}, receiver {code(route.get('receiver'))}"


def _pending(event: dict[str, Any], alert: str) -> str:
    hold = event.get("for_s")
    return f"alert {alert} turned pending" + (
        f" (its rule holds `for: {hold:g}s` before firing)" if hold else "")


def _notified(event: dict[str, Any], alert: str) -> str:
    wait = event.get("group_wait")
    how = f"; `group_wait: {wait}`{route_text(event.get('route'))}" if wait else ""
    return (f"Alertmanager's notification of {alert} reached chaos's receiver "
            f"({code(event.get('receiver'))}{how})")


def _expression(event: dict[str, Any], alert: str) -> str:
    if event.get("error"):
        return f"the rule's expression could not be read back ({event['error']})"
    points = sum(len(x) for x in event.get("series") or [])
    return (f"the rule's expression of {alert} was read back over the trial "
            f"({points} points, drawn in alert.png)")


def describe(event: dict[str, Any]) -> str | None:
    kind, alert = event.get("kind"), code(event.get("alert"))
    if kind == Kind.ALERT_PENDING:
        return _pending(event, alert)
    if kind == Kind.ALERT_FIRING:
        return f"alert {alert} was firing (Prometheus's rule evaluation)"
    if kind == Kind.ALERT_NOTIFIED:
        return _notified(event, alert)
    if kind == Kind.ALERT_RESOLVED:
        return f"Alertmanager notified that {alert} is resolved"
    if kind == Kind.ALERT_BLIND:
        return f"the alerting stack stopped answering ({event.get('reason')})"
    if kind == Kind.ALERT_EXPRESSION:
        return _expression(event, alert)
    if kind == Kind.ALERT_SIGHTED:
        return f"the alerting stack answered again after {event.get('blind_s')} s"
    if kind == Kind.SCRAPE_TARGET_DOWN:
        return (f"Prometheus could not scrape {code(event.get('target'))}: "
                f"{event.get('error') or 'up == 0'}")
    return None


def lessons(event: dict[str, Any]) -> list[Lesson]:
    """The setting that made the page late, from the notification's own event."""
    if event.get("kind") != Kind.ALERT_NOTIFIED:
        return []
    marks = [x for k in ("pending_t", "firing_t", "t")
             if isinstance(x := event.get(k), (int, float))]
    if len(marks) < 3:
        return []
    pending, firing, at = marks
    held, waited = firing - pending, at - firing
    alert = code(event.get("alert"))
    if event.get("for_s") and held >= waited and held >= 60:
        return [("alert-for", f"Page sooner: {alert} held `for: {held:.0f}s` before "
                 "firing, most of its time to detect. An SLO burn-rate alert (a fast and "
                 "a slow window, no long `for:`) pages as surely, minutes sooner.")]
    if waited > held and waited >= 10:
        return [("alert-group-wait", f"Page sooner: Alertmanager held {alert} "
                 f"{waited:.0f} s (`group_wait: {event.get('group_wait') or '30s'}`"
                 f"{route_text(event.get('route'))}) before its first notification, the "
                 "largest part of its time to detect. A shorter `group_wait` on the route "
                 "it took cuts it.")]
    return []
