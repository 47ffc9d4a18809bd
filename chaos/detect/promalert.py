"""``prometheus_alert``: one of the user's own alerts, followed through Prometheus and
Alertmanager to the notification.

    detect:
      - name: page
        type: prometheus_alert
        alert: ShopErrorBudgetBurn       # defined by a file of observe.prometheus.rule_files
        labels: {severity: page}         # optional: only instances carrying these

Every ``every`` seconds, on its own thread, the detector reads Prometheus's
``/api/v1/rules`` and the notifications chaos's webhook receiver has taken
(``chaos.lab.observability.stack``). It records, on the trial's clock:

``alert_pending``
    the instant the rule turned pending: Prometheus's own ``activeAt``;
``alert_firing``
    the rule evaluation that turned it firing: the first evaluation tick of its
    group at or after ``activeAt + for`` (ticks are found from the rule's
    ``lastEvaluation`` and the group's interval, so a late poll does not move it);
``alert_notified``
    the arrival of Alertmanager's notification at the receiver (the receiver
    stamps it when the request comes in); the payload's ``startsAt`` is kept
    beside it as Prometheus's own view of when the alert fired, and the route it
    took with that route's ``group_wait`` (:mod:`chaos.lab.observability.amtool`: Alertmanager's
    own routing of the notified labels, through the receiver that delivered it);
``alert_resolved``
    a resolved notification: alerting's view of the recovery.

The detector fires at ``alert_notified``: its TTD is the page's arrival. When
Prometheus, Alertmanager (``/-/ready``) or the receiver stop answering for
``blind_after`` seconds it records ``alert_blind`` (from the first unanswered read)
and ``alert_sighted`` once they answer again; the trial goes on. Scrape targets
that Prometheus reports down (``up == 0``) are recorded once each as
``scrape_target_down``.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from chaos.detect.base import Detector
from chaos.lab.features.observability import observe_config
from chaos.lab.observability.amtool import route_of
from chaos.lab.observability.stack import (
    alertmanager_config,
    alertmanager_url,
    route_timings,
    stack_urls,
)
from chaos.measure.eventkinds import Kind
from chaos.parts import LabNeeds, Lesson, code
from chaos.registry import detectors
from chaos.scenario.base import Strict
from chaos.scenario.duration import Duration

READ_TIMEOUT_S = 1.0
TARGETS_EVERY_S = 5.0


class PrometheusAlertParams(Strict):
    alert: str = Field(pattern=r"^[A-Za-z_:][A-Za-z0-9_:]*$", max_length=200)
    labels: dict[str, str] = Field({}, max_length=50)
    """Label matchers (equality): only alert instances carrying all of them count."""
    every: Duration = 0.5
    """How often Prometheus's and the receiver's state is read."""
    blind_after: Duration = 2.0
    """Unanswered this long: the detector is reported blind from the first failed read."""


def wall_of(stamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 time as Prometheus and Alertmanager write
    it (nanoseconds cut to microseconds)."""
    text = stamp.strip().replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = rest[:len(rest) - len(rest.lstrip("0123456789"))]
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(text).timestamp()


def first_tick_at_or_after(when: float, last_eval: float, interval: float) -> float:
    """The evaluation tick of a group (every ``interval`` s, one at ``last_eval``) that
    is the first at or after ``when``; ``last_eval`` itself when none before it is."""
    if interval <= 0 or last_eval < when:
        return last_eval
    back = int((last_eval - when) // interval)
    return last_eval - back * interval


_THRESHOLD = re.compile(r"^(?P<left>.*\S)\s*(?:>|>=|<|<=)\s*"
                        r"(?P<n>[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?)$", re.IGNORECASE | re.DOTALL)
_SET_OPERATOR = re.compile(r"\b(?:and|or|unless)\b")


def split_threshold(query: str) -> tuple[str, float | None]:
    """``x > 0.05`` -> (``x``, 0.05); anything else as it is, with no threshold."""
    found = _THRESHOLD.match(query.strip())
    if found is None or _SET_OPERATOR.search(found.group("left")):
        return query, None
    return found.group("left"), float(found.group("n"))


_NUMBER = r"[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?"
# One comparison inside a compound expression: a series (a recording rule's name, with
# optional matchers) against a number or a product of numbers, ``x > (14.4 * 0.001)``.
_COMPARISON = re.compile(rf"([A-Za-z_:][A-Za-z0-9_:]*(?:\{{[^}}]*\}})?)\s*(?:>=|<=|>|<)\s*"
                         rf"\(?\s*({_NUMBER}(?:\s*\*\s*{_NUMBER})*)\s*\)?", re.IGNORECASE)


def chart_parts(query: str) -> list[tuple[str, float | None]]:
    """What to draw for a rule's expression: ``x > 0.05`` -> [(x, 0.05)]; a compound
    one (``a > (14.4 * 0.001) and b > ...``) -> each compared series with its
    threshold (at most 4); anything else as it is, with no threshold."""
    shown, threshold = split_threshold(query)
    if threshold is not None or not _SET_OPERATOR.search(query):
        return [(shown, threshold)]
    parts: list[tuple[str, float | None]] = []
    for series, number in _COMPARISON.findall(query):
        value = 1.0
        for factor in number.split("*"):
            value *= float(factor)
        if (series, value) not in parts:
            parts.append((series, value))
    return parts[:4] or [(query, None)]


def route_text(route: Any) -> str:
    """" of route `route.routes[0]`, receiver `pager`", or why that is unverified."""
    if not isinstance(route, dict):
        return ""
    if not route.get("verified"):
        return " of the top route; unverified: amtool gave no answer on the route it took"
    return f" of route {code(route.get('path'))}, receiver {code(route.get('receiver'))}"


def page_of(alerts: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """A notification as a pager shows it: which alert, how bad, what its summary says.
    The alert's own annotations (``summary``, else ``description``) as written in the
    user's rules; its labels other than ``alertname`` and ``severity`` stay out."""
    first = alerts[0]
    labels = first.get("labels") or {}
    notes = first.get("annotations") or {}
    summary = str(notes.get("summary") or notes.get("description") or "")
    return {"status": status, "alert": str(labels.get("alertname") or ""),
            "severity": str(labels.get("severity") or ""), "summary": summary[:300],
            "count": len(alerts)}


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=READ_TIMEOUT_S) as resp:
        return json.loads(resp.read(20_000_000))


@detectors.register("prometheus_alert")
class PrometheusAlert(Detector):
    """Fires when Alertmanager's notification of ``alert`` reaches chaos."""

    Params = PrometheusAlertParams
    probe: ClassVar[bool] = True

    def __init__(self, name: str, params: Any, ctx: Any) -> None:
        super().__init__(name, params, ctx)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"alert-{name}", daemon=True)
        self._lock = threading.Lock()
        self.armed_at = float("-inf")
        self.pending_t: float | None = None
        self.firing_t: float | None = None
        self.resolved_t: float | None = None
        self.rule: dict[str, Any] = {}
        self.seen_notifications = 0
        self.unanswered_since: float | None = None
        self.blind: list[dict[str, Any]] = []
        self.down_targets: set[str] = set()
        self._targets_read = float("-inf")
        self.urls: tuple[str, str, str] | None = None   # Prometheus, receiver, Alertmanager
        self.settings: dict[str, Any] = {}
        self.am: dict[str, Any] | None = None   # the lab's Alertmanager configuration

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds:
        return LabNeeds(alerts=frozenset({params.alert}))

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        kind, alert = event.get("kind"), code(event.get("alert"))
        if kind == "alert_pending":
            hold = event.get("for_s")
            return f"alert {alert} turned pending" + (
                f" (its rule holds `for: {hold:g}s` before firing)" if hold else "")
        if kind == "alert_firing":
            return f"alert {alert} was firing (Prometheus's rule evaluation)"
        if kind == "alert_notified":
            wait = event.get("group_wait")
            how = f"; `group_wait: {wait}`{route_text(event.get('route'))}" if wait else ""
            return (f"Alertmanager's notification of {alert} reached chaos's receiver "
                    f"({code(event.get('receiver'))}{how})")
        if kind == "alert_resolved":
            return f"Alertmanager notified that {alert} is resolved"
        if kind == "alert_blind":
            return f"the alerting stack stopped answering ({event.get('reason')})"
        if kind == "alert_expression":
            if event.get("error"):
                return f"the rule's expression could not be read back ({event['error']})"
            points = sum(len(x) for x in event.get("series") or [])
            return (f"the rule's expression of {alert} was read back over the trial "
                    f"({points} points, drawn in alert.png)")
        if kind == "alert_sighted":
            return f"the alerting stack answered again after {event.get('blind_s')} s"
        if kind == "scrape_target_down":
            return (f"Prometheus could not scrape {code(event.get('target'))}: "
                    f"{event.get('error') or 'up == 0'}")
        return None

    @classmethod
    def lessons(cls, event: dict[str, Any]) -> list[Lesson]:
        """The setting that made the page late, from the notification's own event."""
        if event.get("kind") != "alert_notified":
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

    # ---- the detector contract ---------------------------------------------

    def reset(self, t: float) -> None:
        with self._lock:
            self.armed_at = t
            self.pending_t = self.firing_t = self.resolved_t = None
            super().reset(t)

    def start(self) -> None:
        self.started_t = self.ctx.clock.now()
        obs = observe_config(self.ctx.lab)
        if obs:
            self.am = alertmanager_config(obs.get("alertmanager_config"))
            # Until an alert is routed (at pending, then at its notification), the top
            # route's: a trial whose alert never turned pending routed nothing.
            self.settings = {"scrape_interval_s": obs.get("scrape_interval"),
                             "evaluation_interval_s": obs.get("evaluation_interval"),
                             "group_wait": route_timings(self.am)["group_wait"]}
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._record_expression()
        with self._lock:
            if self.unanswered_since is not None and not any(
                    b.get("to_t") is None for b in self.blind):
                self._went_blind(self.unanswered_since, "no answer when the trial ended")

    def detail(self) -> dict[str, Any]:
        """What the run record keeps of this detector (beside ``fired_t``)."""
        return {"alert": self.params.alert, "pending_t": self.pending_t,
                "firing_t": self.firing_t, "notified_t": self.fired_at,
                "resolved_t": self.resolved_t, "for_s": self.rule.get("duration"),
                "expr": self.rule.get("query"), "group_interval_s": self.rule.get("interval"),
                "blind": list(self.blind), "targets_down": sorted(self.down_targets),
                **self.settings}

    def _record_expression(self) -> None:
        """The rule's expression over the trial (Prometheus ``query_range``), for the
        report's chart: an ``alert_expression`` event with [t, value] points per series
        for each part ``chart_parts`` finds (a threshold drawn beside it)."""
        query = self.rule.get("query")
        if not query or self.urls is None:
            return
        clock, end = self.ctx.clock, self.ctx.clock.now()
        start = getattr(self, "started_t", 0.0)
        step = max(1.0, (end - start) / 400)
        for shown, threshold in chart_parts(str(query)):
            args = urllib.parse.urlencode({"query": shown, "start": clock.wall0 + start,
                                           "end": clock.wall0 + end, "step": step})
            try:
                answer = get_json(f"{self.urls[0]}/api/v1/query_range?{args}")
                result = answer["data"]["result"][:5]
                points = [[[round(clock.from_wall(float(ts)), 3), float(v)]
                           for ts, v in r["values"]] for r in result]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self._event(Kind.ALERT_EXPRESSION, end, query=shown,
                            error=f"{type(exc).__name__}: {exc}"[:300])
                continue
            self._event(Kind.ALERT_EXPRESSION, end, query=shown, threshold=threshold,
                        series=points, labels=[r.get("metric") or {} for r in result])

    # ---- the thread ---------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            t = self.ctx.clock.now()
            try:
                self._read(t)
            except Exception as exc:  # unreachable, or an answer we cannot read: blind,
                self._unanswered(t, exc)  # on the record, never a dead thread
            else:
                self._answered(t)
            self._stop.wait(max(0.0, self.params.every - (self.ctx.clock.now() - t)))

    def _base_urls(self) -> tuple[str, str, str]:
        if self.urls is None:   # the lab's published ports
            self.urls = (*stack_urls(self.ctx.lab), alertmanager_url(self.ctx.lab))
        return self.urls

    def _read(self, t: float) -> None:
        prom, receiver, alertmanager = self._base_urls()
        rules = get_json(prom + "/api/v1/rules?type=alert")
        notes = get_json(f"{receiver}/notifications?since={self.seen_notifications}")
        with urllib.request.urlopen(alertmanager + "/-/ready", timeout=READ_TIMEOUT_S):
            pass   # an Alertmanager that is down would page nobody: blind too
        with self._lock:
            self._rules(rules, t)
            self._notifications(notes)
        if t - self._targets_read >= TARGETS_EVERY_S:
            self._targets_read = t
            self._targets(get_json(prom + "/api/v1/targets?state=active"), t)

    def _matches(self, labels: dict[str, Any]) -> bool:
        return (labels.get("alertname") == self.params.alert
                and all(labels.get(k) == v for k, v in self.params.labels.items()))

    def _rules(self, answer: dict[str, Any], now: float) -> None:
        clock = self.ctx.clock
        for group in answer["data"]["groups"]:
            for rule in group.get("rules") or []:
                if rule.get("name") != self.params.alert:
                    continue
                self.rule = {"duration": rule.get("duration"), "query": rule.get("query"),
                             "interval": group.get("interval"), "health": rule.get("health"),
                             "last_error": rule.get("lastError")}
                for alert in rule.get("alerts") or []:
                    if not self._matches({"alertname": rule["name"], **alert["labels"]}):
                        continue
                    active = clock.from_wall(wall_of(alert["activeAt"]))
                    if active < self.armed_at:
                        continue   # pending since before the fault: not this trial's alert
                    if self.pending_t is None:
                        self.pending_t = active
                        self._route({"alertname": rule["name"], **alert["labels"]}, None)
                        self._event(Kind.ALERT_PENDING, active, labels=alert["labels"],
                                    for_s=rule.get("duration"), seen_t=round(now, 3))
                    if alert.get("state") == "firing" and self.firing_t is None:
                        last = clock.from_wall(wall_of(rule["lastEvaluation"]))
                        self.firing_t = first_tick_at_or_after(
                            active + float(rule.get("duration") or 0), last,
                            float(group.get("interval") or 0))
                        self._event(Kind.ALERT_FIRING, self.firing_t, seen_t=round(now, 3))

    def _notifications(self, answer: dict[str, Any]) -> None:
        clock = self.ctx.clock
        for item in answer["items"]:
            self.seen_notifications = max(self.seen_notifications, int(item["n"]) + 1)
            body = item.get("body") or {}
            arrived = clock.from_wall(float(item["received"]))
            if arrived < self.armed_at:
                continue
            mine = [a for a in body.get("alerts") or [] if self._matches(a.get("labels") or {})]
            firing = [a for a in mine if a.get("status") == "firing"]
            resolved = [a for a in mine if a.get("status") == "resolved"]
            if firing and self.fired_at is None:
                starts = min(clock.from_wall(wall_of(a["startsAt"])) for a in firing)
                if starts < self.armed_at - 1.0:
                    continue   # a page for an alert that began before the fault
                self.fired_at = arrived
                route = self._route(firing[0].get("labels") or {}, body.get("receiver"))
                self._event(Kind.ALERT_NOTIFIED, arrived, receiver=body.get("receiver"),
                            starts_at_t=round(starts, 4), group_key=body.get("groupKey"),
                            alerts=len(firing), pending_t=self.pending_t,
                            firing_t=self.firing_t, for_s=self.rule.get("duration"),
                            group_wait=self.settings.get("group_wait"), route=route,
                            page=page_of(firing, "firing"))
            if resolved and self.fired_at is not None and self.resolved_t is None:
                self.resolved_t = arrived
                self._event(Kind.ALERT_RESOLVED, arrived, receiver=body.get("receiver"),
                            page=page_of(resolved, "resolved"))

    def _route(self, labels: dict[str, Any], receiver: str | None) -> dict[str, Any] | None:
        """Record the route these labels take (through ``receiver``, when a notification
        came) and its ``group_wait``. The image's amtool takes about a second, under
        this detector's lock; at most once per label set in a run (cached)."""
        if self.am is None:
            return None
        verdict = route_of(self.am, {str(k): str(v) for k, v in labels.items()}, receiver)
        self.settings["group_wait"] = verdict.route.group_wait
        self.settings["route"] = verdict.as_record()
        return verdict.as_record()

    def _targets(self, answer: dict[str, Any], now: float) -> None:
        for target in answer["data"]["activeTargets"]:
            if target.get("health") != "down":
                continue
            where = f"{target.get('labels', {}).get('job')} {target.get('scrapeUrl')}"
            if where not in self.down_targets:
                self.down_targets.add(where)
                self._event(Kind.SCRAPE_TARGET_DOWN, now, target=where,
                            error=target.get("lastError"))

    def _event(self, kind: Kind, t: float, **detail: Any) -> None:
        self.ctx.timeline.add(kind, t=t, name=self.name, detector=self.type_name,
                              alert=self.params.alert, **detail)

    # ---- blind --------------------------------------------------------------

    def _unanswered(self, t: float, exc: BaseException) -> None:
        with self._lock:
            if self.unanswered_since is None:
                self.unanswered_since = t
                self._why = f"{type(exc).__name__}: {exc}"[:300]
            open_ = any(b.get("to_t") is None for b in self.blind)
            if not open_ and t - self.unanswered_since >= self.params.blind_after:
                self._went_blind(self.unanswered_since, self._why)

    def _went_blind(self, since: float, why: str) -> None:
        self.blind.append({"from_t": round(since, 3), "to_t": None, "reason": why})
        self._event(Kind.ALERT_BLIND, since, reason=why)

    def _answered(self, t: float) -> None:
        with self._lock:
            self.unanswered_since = None
            for b in self.blind:
                if b.get("to_t") is None:
                    b["to_t"] = round(t, 3)
                    self._event(Kind.ALERT_SIGHTED, t, blind_s=round(t - b["from_t"], 3))
