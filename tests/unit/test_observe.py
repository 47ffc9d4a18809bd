"""The in-lab alerting stack without Docker: schema, configuration, the detector's
bookkeeping against small local HTTP servers, the TTD split."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from chaos import sample
from chaos.detect.promalert import PrometheusAlert, first_tick_at_or_after, wall_of
from chaos.detect.promalert.alertrecord import alert_split, cause
from chaos.lab.feature import LabSpec
from chaos.lab.features.observestack import ObserveStack
from chaos.lab.observability.stack import (
    RECEIVER_URL,
    alertmanager_config,
    prom_duration,
    prometheus_config,
    route_timings,
)
from chaos.measure.timeline import Clock, Timeline
from chaos.scenario import Scenario


def alerting_text(trials: list[dict[str, Any]]) -> list[str]:
    """The detector's paragraph of the post-mortem (its ``report_section`` hook)."""
    section = PrometheusAlert.report_section(trials)
    return section.lines if section is not None else []

RULES = """groups:
  - name: shop
    rules:
      - record: job:errors:ratio_rate5m
        expr: sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
      - alert: ShopErrorRateHigh
        expr: job:errors:ratio_rate5m > 0.05
        for: 5m
      - alert: ShopErrorBudgetBurn
        expr: job:errors:ratio_rate5m > 0.0144
"""


def scenario(tmp_path: Path, alert: str = "ShopErrorRateHigh", observe: bool = True,
             rules: str = RULES) -> Scenario:
    (tmp_path / "rules.yml").write_text(rules)
    doc: dict[str, Any] = {
        "name": "alerting", "lab": sample.lab(), "load": sample.load(1),
        "faults": [{"type": "kill", "target": "db", "at": "1s"}],
        "detect": [{"name": "page", "type": "prometheus_alert", "alert": alert}],
    }
    if observe:
        doc["observe"] = {"prometheus": {
            "targets": [{"service": "app", "port": 8080}],
            "rule_files": [str(tmp_path / "rules.yml")]}}
    return Scenario.model_validate(doc)


def test_the_section_defaults_and_the_alerts_it_defines(tmp_path):
    sc = scenario(tmp_path)
    prom = sc.observe.prometheus
    assert (prom.scrape_interval, prom.evaluation_interval) == (15.0, 15.0)
    assert prom.targets[0].path == "/metrics" and prom.targets[0].job_name == "app"
    assert set(prom.alerts) == {"ShopErrorRateHigh", "ShopErrorBudgetBurn"}


def test_an_alert_no_rule_file_defines_is_refused_with_a_suggestion(tmp_path):
    with pytest.raises(ValidationError) as exc:
        scenario(tmp_path, alert="ShopErrorRateHgh")
    text = str(exc.value)
    assert "no rule file defines alert 'ShopErrorRateHgh'" in text
    assert "did you mean 'ShopErrorRateHigh'" in text
    assert "ShopErrorBudgetBurn" in text          # the alerts that do exist are listed


def test_an_alert_detector_needs_the_observe_section(tmp_path):
    with pytest.raises(ValidationError, match="needs Prometheus in the lab"):
        scenario(tmp_path, observe=False)


def test_a_rule_file_that_is_not_yaml_names_its_own_line(tmp_path):
    with pytest.raises(ValidationError) as exc:
        scenario(tmp_path, rules="groups:\n  - name: x\n    rules: [\n")
    assert f"{tmp_path / 'rules.yml'}:4" in str(exc.value)


def test_a_rule_file_path_that_is_a_directory_is_refused(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(ValidationError, match="directory"):
        Scenario.model_validate({
            "name": "x", "lab": sample.lab(), "load": sample.load(1),
            "faults": [{"type": "kill", "target": "db", "at": "1s"}],
            "observe": {"prometheus": {"targets": [{"service": "app", "port": 8080}],
                                       "rule_files": [str(tmp_path / "dir")]}}})


def scenario_file(tmp_path: Path, alert: str, rule_files: list[str]) -> Path:
    (tmp_path / "rules.yml").write_text(RULES)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({
        "name": "alerting", "lab": sample.lab(), "load": sample.load(1),
        "faults": [{"type": "kill", "target": "db", "at": "1s"}],
        "detect": [{"name": "page", "type": "prometheus_alert", "alert": alert}],
        "observe": {"prometheus": {"targets": [{"service": "app", "port": 8080}],
                                   "rule_files": rule_files}}}, sort_keys=False))
    return path


def test_chaos_validate_reports_the_schemas_and_promtools_problems_together(tmp_path,
                                                                           monkeypatch):
    from chaos.lab.observability import promtool
    from tests.cli_helpers import run_main

    checked: list[list[Path]] = []

    def promtool_says(files: list[Path], log: Any = None) -> list[Any]:
        checked.append(files)
        return [promtool.Problem(str(files[0]), 7, "", "promtool check rules: bad PromQL")]

    monkeypatch.setattr(promtool, "rule_file_problems", promtool_says)
    promql = f"{tmp_path / 'rules.yml'}:7: promtool check rules: bad PromQL"
    path = scenario_file(tmp_path, "ShopErrorRateHgh", ["rules.yml"])
    code, out = run_main(["validate", str(path), "--allow-outside-files"])
    assert code == 2, out
    assert "detect[0].alert: no rule file defines alert 'ShopErrorRateHgh'" in out
    assert promql in out
    path = scenario_file(tmp_path, "ShopErrorRateHigh", ["rules.yml", "missing.yml"])
    code, out = run_main(["validate", str(path), "--allow-outside-files"])
    assert code == 2 and "rule_files[1]: file not found" in out and promql in out, out
    assert checked[-1] == [tmp_path / "rules.yml"]     # only the file that can be checked


def test_validate_without_promtool_says_so_and_still_reports_the_schema(tmp_path, monkeypatch):
    from chaos.errors import LabError
    from chaos.lab.observability import promtool
    from tests.cli_helpers import run_main

    def no_promtool(files: list[Path], log: Any = None) -> list[Any]:
        raise LabError("no promtool on PATH and no observability image")

    monkeypatch.setattr(promtool, "rule_file_problems", no_promtool)
    code, out = run_main(["validate", str(scenario_file(tmp_path, "ShopErrorRateHgh",
                                                        ["rules.yml"])), "--allow-outside-files"])
    assert code == 2 and "no rule file defines alert 'ShopErrorRateHgh'" in out, out
    assert "note: its rule files' PromQL was not checked (no promtool on PATH" in out
    code, out = run_main(["validate", str(scenario_file(tmp_path, "ShopErrorRateHigh",
                                                        ["rules.yml"])), "--allow-outside-files"])
    assert code == 0 and ": ok (alerting)" in out and "was not checked" in out, out


def test_a_rule_check_that_cannot_run_does_not_hide_the_schemas_problems(tmp_path):
    from chaos.errors import LabError, ScenarioError
    from chaos.scenario import load_scenario

    def broken(files: list[Path]) -> list[Any]:
        raise LabError("promtool did not finish")

    bad = scenario_file(tmp_path, "ShopErrorRateHgh", ["rules.yml"])
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad, allow_outside=True, rule_check=broken)
    text = str(exc.value)
    assert "no rule file defines alert" in text
    assert f"{tmp_path / 'rules.yml'}: its rules were not checked: promtool did not finish" in text
    good = scenario_file(tmp_path, "ShopErrorRateHigh", ["rules.yml"])
    with pytest.raises(LabError):      # alone, the checker's failure is the error
        load_scenario(good, allow_outside=True, rule_check=broken)


def test_prometheus_configuration(tmp_path):
    obs = {"scrape_interval": 15.0, "evaluation_interval": 0.5, "postgres_exporter": True,
           "targets": [{"service": "app", "port": 8080, "path": "/m", "job": "shop"}],
           "rule_files": ["/a/rules.yml", "/b/rules.yml"]}
    conf = prometheus_config(obs, LabSpec())
    assert conf["global"] == {"scrape_interval": "15s", "evaluation_interval": "500ms"}
    assert conf["rule_files"] == ["/etc/chaos-observe/rules/0-rules.yml",
                                  "/etc/chaos-observe/rules/1-rules.yml"]
    jobs = {j["job_name"]: j for j in conf["scrape_configs"]}
    assert jobs["shop"]["metrics_path"] == "/m"
    assert jobs["shop"]["static_configs"] == [{"targets": ["app:8080"]}]
    assert "postgres" in jobs
    assert prom_duration(60) == "60s" and prom_duration(0.25) == "250ms"


def test_the_users_alertmanager_routes_are_kept_and_every_receiver_rewired(tmp_path):
    user = tmp_path / "am.yml"
    user.write_text(yaml.safe_dump({
        "global": {"resolve_timeout": "5m", "slack_api_url_file": "/secret"},
        "templates": ["/etc/am/*.tmpl"],
        "route": {"receiver": "oncall", "group_wait": "10s", "group_by": ["alertname"],
                  "routes": [{"matchers": ["severity=ticket"], "receiver": "tickets"}]},
        "receivers": [{"name": "oncall", "pagerduty_configs": [{"routing_key": "x"}]},
                      {"name": "tickets", "email_configs": [{"to": "a@b.c"}]}]}))
    am = alertmanager_config(str(user))
    assert am["route"]["routes"][0]["receiver"] == "tickets"      # routing untouched
    assert [r["name"] for r in am["receivers"]] == ["oncall", "tickets"]
    for r in am["receivers"]:      # nobody real is ever paged
        assert set(r) == {"name", "webhook_configs"}
        assert r["webhook_configs"] == [{"url": RECEIVER_URL, "send_resolved": True}]
    assert "templates" not in am and "slack_api_url_file" not in am["global"]
    assert route_timings(am) == {"group_wait": "10s", "group_interval": "5m",
                                 "repeat_interval": "4h"}
    assert route_timings(alertmanager_config(None))["group_wait"] == "30s"


def test_times_as_prometheus_writes_them():
    assert wall_of("2026-12-04T18:00:00Z") == datetime(2026, 12, 4, 18, tzinfo=UTC).timestamp()
    assert wall_of("2026-12-04T18:00:00.123456789Z") == pytest.approx(
        datetime(2026, 12, 4, 18, tzinfo=UTC).timestamp() + 0.123456, abs=1e-6)
    assert wall_of("2026-12-04T19:00:00.5+01:00") == pytest.approx(
        datetime(2026, 12, 4, 18, tzinfo=UTC).timestamp() + 0.5)


def test_the_firing_tick_is_found_from_a_later_evaluation():
    # activeAt 100 + for 30 = 130; the group evaluates every 15 s, last at 160 (a late poll)
    assert first_tick_at_or_after(130.0, 160.0, 15.0) == 130.0
    assert first_tick_at_or_after(131.0, 160.0, 15.0) == 145.0
    assert first_tick_at_or_after(130.0, 130.0, 15.0) == 130.0
    assert first_tick_at_or_after(170.0, 160.0, 15.0) == 160.0   # never before the evaluation


def test_the_split_adds_up_and_names_what_dominated():
    detail = {"pending_t": 55.0, "firing_t": 355.0, "notified_t": 385.2, "resolved_t": 500.0}
    out = alert_split(detail, t_fault=40.0, first_failure_t=40.4)
    split = out["split_s"]
    assert split == {"fault_to_impact": 0.4, "impact_to_pending": 14.6,
                     "pending_to_firing": 300.0, "firing_to_notified": 30.2}
    assert sum(split.values()) == pytest.approx(out["ttd_s"]) == pytest.approx(345.2)
    assert out["dominant"] == "pending_to_firing" and out["resolved_s"] == 460.0
    assert "for: 300s" in cause("pending_to_firing", {"for_s": 300})
    missing = alert_split({"pending_t": 55.0}, t_fault=40.0, first_failure_t=41.0)
    assert missing["ttd_s"] is None and missing["split_s"]["pending_to_firing"] is None


def test_the_post_mortem_line_says_which_setting_caused_the_delay():
    alert = {"alert": "ShopErrorRateHigh", "for_s": 300, "group_wait": "30s",
             **alert_split({"pending_t": 55.0, "firing_t": 355.0, "notified_t": 385.0},
                           40.0, 40.5)}
    (line,) = alerting_text([{"detectors": [{"name": "page", "alert": alert}]}])
    assert "pending → firing (5 m" in line or "pending → firing (300" in line
    assert "`for: 300s`" in line and "TTD" in line


# ---- the detector, against two small HTTP servers standing in for the stack ------------


class Stack:
    """Prometheus's /api/v1/rules and the receiver's /notifications, as canned JSON."""

    def __init__(self) -> None:
        self.rules: dict[str, Any] = {"status": "success", "data": {"groups": []}}
        self.notes: list[dict[str, Any]] = []
        self.down = False
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if outer.down:
                    self.send_error(503)
                    return
                if self.path.startswith("/-/"):
                    doc: Any = {}
                elif self.path.startswith("/api/v1/rules"):
                    doc = outer.rules
                elif self.path.startswith("/api/v1/targets"):
                    doc = {"data": {"activeTargets": [
                        {"health": "down", "labels": {"job": "app"},
                         "scrapeUrl": "http://app:8080/metrics", "lastError": "refused"}]}}
                else:
                    since = int(self.path.split("since=")[1])
                    doc = {"count": len(outer.notes), "items": outer.notes[since:]}
                data = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat().replace("+00:00", "Z")


def wait(cond: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_the_detector_follows_pending_firing_notified_and_goes_blind(tmp_path):
    stack = Stack()
    clock = Clock()
    tl = Timeline(clock, None)
    ctx = SimpleNamespace(clock=clock, timeline=tl, lab=None)
    params = PrometheusAlert.Params(alert="ShopErrorRateHigh", labels={"severity": "page"},
                                    every=0.05, blind_after=0.2)
    d = PrometheusAlert("page", params, ctx)
    d.urls = (stack.url, stack.url, stack.url)
    d.reset(0.0)
    d.start()
    try:
        w0 = clock.wall0
        rule = {"name": "ShopErrorRateHigh", "duration": 30, "query": "x > 0.05",
                "lastEvaluation": iso(w0 + 1.0), "alerts": []}
        stack.rules["data"]["groups"] = [{"name": "shop", "interval": 15, "rules": [rule]}]
        other = {"labels": {"alertname": "ShopErrorRateHigh", "severity": "ticket"},
                 "state": "pending", "activeAt": iso(w0 + 0.5)}
        mine = {"labels": {"alertname": "ShopErrorRateHigh", "severity": "page"},
                "state": "pending", "activeAt": iso(w0 + 1.0)}
        rule["alerts"] = [other, mine]
        wait(lambda: d.pending_t is not None)
        assert d.pending_t == pytest.approx(1.0, abs=1e-3)   # activeAt, not the poll
        mine["state"] = "firing"
        rule["lastEvaluation"] = iso(w0 + 46.0)   # a late poll: the tick at 31 s fired it
        wait(lambda: d.firing_t is not None)
        assert d.firing_t == pytest.approx(31.0, abs=1e-3)
        assert d.fired_at is None                # firing is not yet a page
        stack.notes.append({"n": 0, "received": w0 + 61.5, "body": {
            "receiver": "oncall", "status": "firing", "groupKey": "{}:{}",
            "alerts": [{"status": "firing", "labels": mine["labels"],
                        "startsAt": iso(w0 + 31.0)}]}})
        wait(lambda: d.fired_at is not None)
        assert d.fired_at == pytest.approx(61.5, abs=1e-3)
        stack.down = True
        wait(lambda: bool(d.blind))
        stack.down = False
        wait(lambda: d.blind[0]["to_t"] is not None)
    finally:
        d.stop()
        stack.server.shutdown()
    kinds = [e["kind"] for e in tl.events]
    assert kinds.count("alert_pending") == 1 and kinds.count("alert_notified") == 1
    assert "alert_blind" in kinds and "alert_sighted" in kinds
    assert [e for e in tl.events if e["kind"] == "scrape_target_down"][0]["target"] == \
        "app http://app:8080/metrics"
    notified = next(e for e in tl.events if e["kind"] == "alert_notified")
    assert notified["starts_at_t"] == pytest.approx(31.0, abs=1e-3)
    assert d.detail()["targets_down"] == ["app http://app:8080/metrics"]


def test_an_alert_active_since_before_the_fault_is_not_this_trials(tmp_path):
    stack = Stack()
    clock = Clock()
    ctx = SimpleNamespace(clock=clock, timeline=Timeline(clock, None), lab=None)
    d = PrometheusAlert("page", PrometheusAlert.Params(alert="A", every=0.05), ctx)
    d.urls = (stack.url, stack.url, stack.url)
    d.reset(clock.now() + 0.0)
    stack.rules["data"]["groups"] = [{"name": "g", "interval": 15, "rules": [
        {"name": "A", "duration": 0, "lastEvaluation": iso(clock.wall0),
         "alerts": [{"labels": {"alertname": "A"}, "state": "firing",
                     "activeAt": iso(clock.wall0 - 20)}]}]}]
    d.start()
    try:
        time.sleep(0.3)
    finally:
        d.stop()
        stack.server.shutdown()
    assert d.pending_t is None and d.firing_t is None


def test_the_lesson_names_the_setting_that_made_the_page_late():
    slow = {"kind": "alert_notified", "alert": "A", "t": 395.0, "pending_t": 65.0,
            "firing_t": 365.0, "for_s": 300, "group_wait": "30s"}
    ((key, text),) = PrometheusAlert.lessons(slow)
    assert key == "alert-for" and "`for: 300s`" in text
    burn = {**slow, "pending_t": 63.5, "firing_t": 63.5, "t": 93.5, "for_s": 0}
    ((key, text),) = PrometheusAlert.lessons(burn)
    assert key == "alert-group-wait" and "group_wait: 30s" in text and "30 s" in text
    assert PrometheusAlert.lessons({**burn, "t": 64.0}) == []      # nothing worth saying
    assert PrometheusAlert.lessons({"kind": "alert_pending"}) == []


def test_a_compound_expression_is_charted_as_its_compared_series():
    from chaos.detect.promalert import chart_parts

    burn = ("(job:e:ratio_rate1h > (14.4 * 0.001) and job:e:ratio_rate5m > (14.4 * 0.001))"
            " or (job:e:ratio_rate6h > (6 * 0.001) and job:e:ratio_rate30m > (6 * 0.001))")
    parts = chart_parts(burn)
    assert [p[0] for p in parts] == ["job:e:ratio_rate1h", "job:e:ratio_rate5m",
                                     "job:e:ratio_rate6h", "job:e:ratio_rate30m"]
    assert [p[1] for p in parts] == pytest.approx([0.0144, 0.0144, 0.006, 0.006])
    assert chart_parts("sum(rate(x[5m])) / sum(rate(y[5m])) > 0.05") == [
        ("sum(rate(x[5m])) / sum(rate(y[5m]))", 0.05)]
    assert chart_parts("up == 0") == [("up == 0", None)]


def test_the_notification_records_the_group_wait_of_the_route_it_took(tmp_path, monkeypatch):
    from chaos.lab.observability import amtool
    from chaos.lab.observability.amroutes import route_tree

    (tmp_path / "am.yml").write_text(yaml.safe_dump({
        "route": {"receiver": "default", "group_wait": "30s", "routes": [
            {"matchers": ['severity="page"'], "receiver": "pager", "group_wait": "10s",
             "continue": True},
            {"matchers": ['team="shop"'], "receiver": "chat", "group_wait": "1m"}]},
        "receivers": [{"name": n} for n in ("default", "pager", "chat")]}))
    asked: list[dict[str, str]] = []

    def amtool_says(config: dict[str, Any], labels: dict[str, str], **kw: Any) -> list[Any]:
        asked.append(labels)
        tree = {r.path: r for r in route_tree(config)}
        return [tree["route.routes[0]"], tree["route.routes[1]"]]    # continue: both

    amtool._cached.cache_clear()
    monkeypatch.setattr(amtool, "matched_routes", amtool_says)
    stack, clock = Stack(), Clock()
    tl = Timeline(clock, None)
    obs = {"alertmanager_config": str(tmp_path / "am.yml"), "scrape_interval": 15.0,
           "evaluation_interval": 15.0}
    ctx = SimpleNamespace(clock=clock, timeline=tl, lab=SimpleNamespace(
        spec=LabSpec(features=(ObserveStack(config=obs),))))
    d = PrometheusAlert("page", PrometheusAlert.Params(alert="A", every=0.05), ctx)
    d.urls = (stack.url, stack.url, stack.url)
    d.reset(0.0)
    d.start()
    labels = {"alertname": "A", "severity": "page", "team": "shop"}
    try:
        stack.rules["data"]["groups"] = [{"name": "g", "interval": 15, "rules": [
            {"name": "A", "duration": 0, "lastEvaluation": iso(clock.wall0 + 1),
             "alerts": [{"labels": labels, "state": "firing",
                         "activeAt": iso(clock.wall0 + 1)}]}]}]
        wait(lambda: d.pending_t is not None)
        stack.notes.append({"n": 0, "received": clock.wall0 + 61.0, "body": {
            "receiver": "chat", "status": "firing", "alerts": [{
                "status": "firing", "labels": {**labels, "instance": "app:8080"},
                "startsAt": iso(clock.wall0 + 1)}]}})
        wait(lambda: d.fired_at is not None)
    finally:
        d.stop()
        stack.server.shutdown()
        amtool._cached.cache_clear()
    assert asked == [labels, {**labels, "instance": "app:8080"}]   # the notified labels last
    notified = next(e for e in tl.events if e["kind"] == "alert_notified")
    assert notified["group_wait"] == "1m" and notified["route"]["receiver"] == "chat"
    assert d.detail()["group_wait"] == "1m"
    assert d.detail()["route"]["matched"] == ["route.routes[0]", "route.routes[1]"]
    assert "`group_wait: 1m` of route `route.routes[1]`, receiver `chat`" in \
        PrometheusAlert.describe(notified)


def test_the_lesson_and_the_post_mortem_quote_the_routes_group_wait():
    taken = {"path": "route.routes[0]", "receiver": "pagerduty", "group_wait": "10s",
             "verified": True, "note": None}
    burn = {"kind": "alert_notified", "alert": "A", "t": 93.5, "pending_t": 63.5,
            "firing_t": 63.5, "for_s": 0, "group_wait": "10s", "route": taken}
    ((_, text),) = PrometheusAlert.lessons({**burn, "t": 80.0})
    assert "`group_wait: 10s` of route `route.routes[0]`, receiver `pagerduty`" in text
    guessed = {**taken, "path": "route", "group_wait": "30s", "verified": False,
               "note": "amtool gave no answer: no amtool on PATH"}
    ((_, text),) = PrometheusAlert.lessons({**burn, "group_wait": "30s", "route": guessed})
    assert "`group_wait: 30s` of the top route; unverified" in text

    def line(route: dict[str, Any]) -> str:
        alert = {"alert": "A", "for_s": 0, "group_wait": route["group_wait"], "route": route,
                 **alert_split({"pending_t": 41.0, "firing_t": 41.0, "notified_t": 51.5},
                               40.0, 40.5)}
        (text,) = alerting_text([{"detectors": [{"name": "page", "alert": alert}]}])
        return text

    assert "`group_wait: 10s`" in line(taken) and "`route.routes[0]` to receiver" in line(taken)
    assert "`group_wait: 30s`" in line(guessed)
    assert "the top route's value: which route the alert took is unverified, amtool gave no " \
           "answer: no amtool on PATH" in line(guessed)
