"""One alert's way from pending to firing to notified (and resolved), on the trial clock,
read from Prometheus's rules and the notifications chaos's receiver took.

    states = AlertStates("ShopErrorRateHigh", {"severity": "page"}, clock, emit, route, settings)
    states.reset(t_fault)                 # an alert active since before it is not this trial's
    states.rules(get_json(prom + "/api/v1/rules?type=alert"), now)
    states.notifications(get_json(receiver + "/notifications?since=..."))
    states.notified_t                     # the page's arrival: the detector's firing

``pending`` is Prometheus's own ``activeAt``; ``firing`` the first evaluation tick of
the rule's group at or after ``activeAt + for`` (found from ``lastEvaluation`` and the
group's interval, so a late poll does not move it); ``notified`` the instant the
receiver stamped the notification's arrival, the payload's ``startsAt`` kept beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chaos.detect.promalert.page import page_of
from chaos.detect.promalert.times import first_tick_at_or_after
from chaos.measure.eventkinds import Kind
from chaos.measure.promapi import wall_of
from chaos.parts import TrialClock

Emit = Callable[..., None]            # emit(kind, t, **detail): onto the trial's timeline
RouteOf = Callable[[dict[str, Any], str | None], dict[str, Any] | None]
"""The route these labels take (through the receiver that delivered them), recorded."""


class AlertStates:
    def __init__(self, alert: str, labels: dict[str, str], clock: TrialClock, emit: Emit,
                 route: RouteOf, settings: dict[str, Any]) -> None:
        self.alert, self.labels, self.clock = alert, labels, clock
        self._emit, self._route = emit, route
        self.settings = settings              # the detector's: group_wait as routed
        self.armed_at = float("-inf")
        self.pending_t: float | None = None
        self.firing_t: float | None = None
        self.notified_t: float | None = None
        self.resolved_t: float | None = None
        self.rule: dict[str, Any] = {}
        self.seen_notifications = 0

    def reset(self, t: float) -> None:
        self.armed_at = t
        self.pending_t = self.firing_t = self.notified_t = self.resolved_t = None

    def matches(self, labels: dict[str, Any]) -> bool:
        return (labels.get("alertname") == self.alert
                and all(labels.get(k) == v for k, v in self.labels.items()))

    # ---- Prometheus's rules: pending, firing --------------------------------

    def rules(self, answer: dict[str, Any], now: float) -> None:
        for group in answer["data"]["groups"]:
            for rule in group.get("rules") or []:
                if rule.get("name") == self.alert:
                    self._rule(group, rule, now)

    def _rule(self, group: dict[str, Any], rule: dict[str, Any], now: float) -> None:
        self.rule = {"duration": rule.get("duration"), "query": rule.get("query"),
                     "interval": group.get("interval"), "health": rule.get("health"),
                     "last_error": rule.get("lastError")}
        for alert in rule.get("alerts") or []:
            labels = {"alertname": rule["name"], **alert["labels"]}
            if not self.matches(labels):
                continue
            active = self.clock.from_wall(wall_of(alert["activeAt"]))
            if active < self.armed_at:
                continue   # pending since before the fault: not this trial's alert
            if self.pending_t is None:
                self.pending_t = active
                self._route(labels, None)
                self._emit(Kind.ALERT_PENDING, active, labels=alert["labels"],
                           for_s=rule.get("duration"), seen_t=round(now, 3))
            if alert.get("state") == "firing" and self.firing_t is None:
                last = self.clock.from_wall(wall_of(rule["lastEvaluation"]))
                self.firing_t = first_tick_at_or_after(
                    active + float(rule.get("duration") or 0), last,
                    float(group.get("interval") or 0))
                self._emit(Kind.ALERT_FIRING, self.firing_t, seen_t=round(now, 3))

    # ---- the receiver's notifications: notified, resolved -------------------

    def notifications(self, answer: dict[str, Any]) -> None:
        for item in answer["items"]:
            self.seen_notifications = max(self.seen_notifications, int(item["n"]) + 1)
            arrived = self.clock.from_wall(float(item["received"]))
            if arrived >= self.armed_at:
                self._notification(item.get("body") or {}, arrived)

    def _notification(self, body: dict[str, Any], arrived: float) -> None:
        mine = [a for a in body.get("alerts") or [] if self.matches(a.get("labels") or {})]
        firing = [a for a in mine if a.get("status") == "firing"]
        resolved = [a for a in mine if a.get("status") == "resolved"]
        if firing and self.notified_t is None:
            starts = min(self.clock.from_wall(wall_of(a["startsAt"])) for a in firing)
            if starts < self.armed_at - 1.0:
                return   # a page for an alert that began before the fault
            self.notified_t = arrived
            route = self._route(firing[0].get("labels") or {}, body.get("receiver"))
            self._emit(Kind.ALERT_NOTIFIED, arrived, receiver=body.get("receiver"),
                       starts_at_t=round(starts, 4), group_key=body.get("groupKey"),
                       alerts=len(firing), pending_t=self.pending_t,
                       firing_t=self.firing_t, for_s=self.rule.get("duration"),
                       group_wait=self.settings.get("group_wait"), route=route,
                       page=page_of(firing, "firing"))
        if resolved and self.notified_t is not None and self.resolved_t is None:
            self.resolved_t = arrived
            self._emit(Kind.ALERT_RESOLVED, arrived, receiver=body.get("receiver"),
                       page=page_of(resolved, "resolved"))
