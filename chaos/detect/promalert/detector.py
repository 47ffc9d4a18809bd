"""The detector itself: its parameters, its thread, and the hooks that make it whole
(its record section, its post-mortem paragraph, its chart, its sentences)."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from chaos.detect.base import Detector
from chaos.detect.promalert import alerttext, sentences
from chaos.detect.promalert.alertchart import ALERT_CHART
from chaos.detect.promalert.alertrecord import AlertRecord, alert_notes, alert_record
from chaos.detect.promalert.alertstates import AlertStates
from chaos.detect.promalert.blindspans import Blindness
from chaos.detect.promalert.expression import record_expression
from chaos.lab.features.observestack import observe_config
from chaos.lab.observability.amtool import route_of
from chaos.lab.observability.stack import (
    alertmanager_config,
    alertmanager_url,
    route_timings,
    stack_urls,
)
from chaos.measure.eventkinds import Kind
from chaos.measure.promapi import get_json, ready
from chaos.partcontext import PartContext
from chaos.partregistry import detectors
from chaos.parts import Chart, LabNeeds, Lesson, ReportSection, SectionFacts
from chaos.scenario.base import Strict
from chaos.scenario.duration import Duration

TARGETS_EVERY_S = 5.0


class PrometheusAlertParams(Strict):
    alert: str = Field(pattern=r"^[A-Za-z_:][A-Za-z0-9_:]*$", max_length=200)
    labels: dict[str, str] = Field({}, max_length=50)
    """Label matchers (equality): only alert instances carrying all of them count."""
    every: Duration = 0.5
    """How often Prometheus's and the receiver's state is read."""
    blind_after: Duration = 2.0
    """Unanswered this long: the detector is reported blind from the first failed read."""


@detectors.register("prometheus_alert")
class PrometheusAlert(Detector):
    """Fires when Alertmanager's notification of ``alert`` reaches chaos."""

    Params = PrometheusAlertParams
    probe: ClassVar[bool] = True
    record_key: ClassVar[str | None] = "alert"
    Record: ClassVar[type[BaseModel] | None] = AlertRecord
    charts: ClassVar[tuple[Chart, ...]] = (ALERT_CHART,)

    def __init__(self, name: str, params: Any, ctx: PartContext) -> None:
        super().__init__(name, params, ctx)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"alert-{name}", daemon=True)
        self._lock = threading.Lock()
        self.settings: dict[str, Any] = {}
        self.states = AlertStates(params.alert, params.labels, ctx.clock, self._event,
                                  self._route, self.settings)
        self.blindness = Blindness(params.blind_after, self._event)
        self.down_targets: set[str] = set()
        self._targets_read = float("-inf")
        self.started_t = 0.0
        self.urls: tuple[str, str, str] | None = None   # Prometheus, receiver, Alertmanager
        self.am: dict[str, Any] | None = None   # the lab's Alertmanager configuration

    # ---- what it brings: lab needs, sentences, record, report, chart ---------

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds:
        return LabNeeds(alerts=frozenset({params.alert}))

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        return sentences.describe(event)

    @classmethod
    def lessons(cls, event: dict[str, Any]) -> list[Lesson]:
        return sentences.lessons(event)

    @classmethod
    def report_section(cls, trials: list[dict[str, Any]]) -> ReportSection | None:
        return alerttext.report_section(trials, "alert")

    def record_section(self, facts: SectionFacts) -> AlertRecord:
        return alert_record(self.detail(), facts)

    def record_notes(self, section: BaseModel) -> list[str]:
        alert = (section if isinstance(section, AlertRecord)
                 else AlertRecord.model_validate(section.model_dump()))
        return alert_notes(self.name, alert)

    def detail(self) -> dict[str, Any]:
        """The detector's instants and settings, as its record section starts."""
        s = self.states
        return {"alert": self.params.alert, "pending_t": s.pending_t,
                "firing_t": s.firing_t, "notified_t": self.fired_at,
                "resolved_t": s.resolved_t, "for_s": s.rule.get("duration"),
                "expr": s.rule.get("query"), "group_interval_s": s.rule.get("interval"),
                "blind": list(self.blindness.spans), "targets_down": sorted(self.down_targets),
                **self.settings}

    # ---- the detector contract ---------------------------------------------

    @property
    def pending_t(self) -> float | None:
        return self.states.pending_t

    @property
    def firing_t(self) -> float | None:
        return self.states.firing_t

    @property
    def blind(self) -> list[dict[str, Any]]:
        return self.blindness.spans

    def reset(self, t: float) -> None:
        with self._lock:
            self.states.reset(t)
            super().reset(t)

    def start(self) -> None:
        self.started_t = self.ctx.clock.now()
        obs = observe_config(self.ctx.lab)   # none without a lab (a test's trial)
        if obs:
            self.am = alertmanager_config(obs.get("alertmanager_config"))
            # Until an alert is routed (at pending, then at its notification), the top
            # route's: a trial whose alert never turned pending routed nothing.
            self.settings.clear()
            self.settings.update({"scrape_interval_s": obs.get("scrape_interval"),
                                  "evaluation_interval_s": obs.get("evaluation_interval"),
                                  "group_wait": route_timings(self.am)["group_wait"]})
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        query = self.states.rule.get("query")
        if query and self.urls is not None:
            record_expression(self.urls[0], str(query), self.ctx.clock, self.started_t,
                              self._event)
        with self._lock:
            self.blindness.at_end()

    # ---- the thread ---------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            t = self.ctx.clock.now()
            try:
                self._read(t)
            except Exception as exc:  # unreachable, or an answer we cannot read: blind,
                with self._lock:      # on the record, never a dead thread
                    self.blindness.unanswered(t, exc)
            else:
                with self._lock:
                    self.blindness.answered(t)
            self._stop.wait(max(0.0, self.params.every - (self.ctx.clock.now() - t)))

    def _base_urls(self) -> tuple[str, str, str]:
        if self.urls is None:   # the lab's published ports
            self.urls = (*stack_urls(self.need_lab()), alertmanager_url(self.need_lab()))
        return self.urls

    def _read(self, t: float) -> None:
        prom, receiver, alertmanager = self._base_urls()
        rules = get_json(prom + "/api/v1/rules?type=alert")
        notes = get_json(f"{receiver}/notifications?since={self.states.seen_notifications}")
        ready(alertmanager + "/-/ready")   # an Alertmanager that is down would page nobody
        with self._lock:
            self.states.rules(rules, t)
            self.states.notifications(notes)
            if self.fired_at is None and self.states.notified_t is not None:
                self.fired_at = self.states.notified_t
        if t - self._targets_read >= TARGETS_EVERY_S:
            self._targets_read = t
            self._targets(get_json(prom + "/api/v1/targets?state=active"), t)

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
