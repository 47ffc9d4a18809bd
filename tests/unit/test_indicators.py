"""Indicators and the steady state on hand-made readings with known answers; the
scenario schema for them; targets that must not pass on what was not measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.errors import ScenarioError
from chaos.measure.indicators import Indicator, SteadyState
from chaos.measure.requestindicators import ErrorRatio, LatencyQuantile, Throughput
from chaos.measure.targets import evaluate
from chaos.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]


def backlog(below: float = 100.0) -> Indicator:
    ind = Indicator("backlog", f"below {below:g}", below=below)
    ind.kind = "sql"
    return ind


def state(*extra: Indicator, hold: float = 10.0) -> tuple[SteadyState, list[tuple]]:
    impacts: list[tuple] = []
    s = SteadyState([ErrorRatio("errors", "below 1%", below=0.01), *extra], hold,
                    on_impact=lambda ind, t, v: impacts.append((ind.name, t, v)))
    return s, impacts


def answers(s: SteadyState, start: float, stop: float, step: float = 0.1,
            ok: bool = True) -> None:
    t = start
    while t <= stop + 1e-9:
        s.add(round(t, 3), ok, 0.01, "POST /messages")
        t += step


# ---- a polled indicator: the worker stops, the backlog grows, drains -----------------


def test_a_backlog_is_impact_without_any_failed_request():
    b = backlog()
    s, impacts = state(b)
    for t in range(0, 21):                       # one reading a second, all inside
        s.feed("backlog", float(t), 3.0)
    answers(s, 0.0, 20.0)
    s.arm(20.0)
    # 20 messages/s pile up from t=20: the backlog reaches 100 at 25 s.
    for t in range(21, 81):
        s.feed("backlog", float(t), min(20.0 * (t - 20), 1200.0) if t <= 80 else 0.0)
    answers(s, 20.1, 80.0)
    assert impacts == [("backlog", 25.0, 100.0)]     # 100 is not below 100
    assert s.impact_t == 25.0 and s.since is None and s.held_until() is None
    # the worker is back at 80 and drains by 95
    for t in range(81, 96):
        s.feed("backlog", float(t), 1200.0 - 80.0 * (t - 80))
    for t in range(96, 107):
        s.feed("backlog", float(t), 2.0)
    answers(s, 80.1, 106.0)
    assert s.since == 94.0                      # 1200 - 80*14 = 80: the first reading inside
    assert s.held_until() == 104.0              # held 10 s, and both indicators' data reach it
    summary = b.summary()
    assert summary["first_out_t"] == 25.0 and summary["back_inside_t"] == 94.0
    assert summary["out_s"] == 69.0 and summary["worst"] == 1200.0
    assert summary["limit"] == 100.0              # the chart draws the objective from it


def test_recovery_waits_for_every_indicators_data():
    b = backlog()
    s, _ = state(b, hold=5.0)
    s.feed("backlog", 0.0, 1.0)
    answers(s, 0.0, 1.0)
    s.arm(1.0)
    answers(s, 1.1, 30.0)                       # requests fine all along
    s.feed("backlog", 2.0, 1.0)                 # ... but the backlog was last read at 2 s
    assert s.held_until() is None               # its state after 2 s is not known
    s.feed("backlog", 6.5, 1.0)
    assert s.held_until() == 6.0


def test_an_unreadable_indicator_is_outside_and_says_why():
    b = backlog()
    s, impacts = state(b)
    s.feed("backlog", 0.0, 1.0)
    s.arm(1.0)
    s.feed("backlog", 2.0, None, error="OperationalError: connection refused")
    assert impacts == [("backlog", 2.0, None)]
    assert b.summary()["unreadable"] == 1
    assert "connection refused" in b.summary()["last_error"]


def test_no_reading_is_not_working():
    s, _ = state(backlog())
    answers(s, 0.0, 10.0)
    assert s.baseline(10.0, 5.0) == "indicator 'backlog' had no reading before the fault"


def test_the_baseline_holds_every_indicator_to_its_objective():
    s, _ = state(backlog())
    for t in range(0, 11):
        s.feed("backlog", float(t), 150.0 if t == 7 else 5.0)
    why = s.baseline(10.0, 5.0)
    assert why is not None and "'backlog' was not below 100" in why
    assert s.baseline(10.0, 2.0) is None          # inside since 8 s


def test_an_above_objective():
    sent = Indicator("sent/s", "above 5", above=5.0)
    s, impacts = state(sent)
    s.feed("sent/s", 0.0, 20.0)
    s.arm(1.0)
    s.feed("sent/s", 3.0, 5.0)                    # 5 is not above 5
    assert impacts == [("sent/s", 3.0, 5.0)]
    s.feed("sent/s", 4.0, 0.0)
    assert sent.summary()["worst"] == 0.0          # lower is worse for an "above"


# ---- the request error ratio keeps its rule ----------------------------------------------


def test_error_ratio_breaches_at_the_first_failure_that_crosses():
    s, impacts = state()
    s.arm(10.0)
    answers(s, 10.1, 10.9)                         # 9 fine answers
    s.add(11.0, False, 0.01, "GET /")              # 1 of 10 = 10 % >= 1 %
    assert impacts == [("errors", 11.0, 0.1)]
    answers(s, 11.1, 21.0)
    assert s.since == 11.0 and s.held_until() == 21.0


def test_a_stray_failure_under_the_objective_is_no_impact():
    s, impacts = state()
    s.arm(0.0)
    answers(s, 0.01, 2.0, step=0.01)               # 200 fine answers
    s.add(2.005, False, 0.01, "GET /")             # 1 in 201 < 1 %
    answers(s, 2.01, 12.0)
    assert impacts == [] and s.impact_t is None
    assert s.held_until() == 10.0


# ---- latency and throughput ------------------------------------------------------------


def test_latency_quantile_leaves_and_returns_in_event_time():
    lat = LatencyQuantile("p95", "below 500ms", below=0.5, percentile=95, window=2.0)
    s, impacts = state(lat, hold=3.0)
    answers(s, 0.0, 5.0)                           # 10 ms each
    s.arm(5.0)
    for i in range(1, 21):                          # 6.0 .. 7.9: every answer takes 2 s
        s.add(5.0 + 0.1 * i, True, 2.0, "GET /")
    assert impacts and impacts[0][0] == "p95"
    assert impacts[0][1] == pytest.approx(5.1)     # the first slow answer: p95 of 21 > 500 ms
    answers(s, 7.1, 14.0)                          # fast again
    # the slow answers leave the 2 s window by 9.0; p95 is back under 500 ms then
    assert lat.since is not None and 8.9 <= lat.since <= 9.1
    assert s.held_until() == pytest.approx(lat.since + 3.0)
    # the chart keeps about one point a second, and every change of state
    times = [t for t, _ in lat.series]
    assert 12 <= len(times) <= 20 and times == sorted(times)
    assert lat.last_value() == pytest.approx(0.01)


def test_throughput_drop_with_nothing_failing_is_impact():
    tp = Throughput("throughput", "above 50%", above=0.5, window=2.0, baseline_s=5.0)
    s, impacts = state(tp, hold=2.0)
    assert "no successful request" in (s.baseline(0.0, 5.0) or "")
    answers(s, 0.0, 10.0)                          # 10/s
    assert s.baseline(10.0, 5.0) is None           # a rate to compare with
    s.arm(10.0)
    s.advance(11.0)                                # judged at 10.0 - LAG: nothing yet
    answers(s, 10.1, 12.0)
    answers(s, 12.5, 20.0, step=1.0)               # 1/s from 12 s: 10 % of the baseline
    s.advance(21.0)
    assert impacts and impacts[0][0] == "throughput"
    assert 12.5 <= impacts[0][1] <= 13.5            # the 2 s window falls below 5/s
    assert tp.summary()["baseline_rate"] == pytest.approx(10.2, abs=0.3)


# ---- targets: unmeasured is never passed ---------------------------------------------------


def trial(**kw) -> dict:
    base = {"impact": True, "tti_s": 5.0, "impact_by": "backlog", "ttd_s": None, "tta_s": None,
            "ttm_s": 60.0, "ttr_s": 70.0, "outage_s": 55.0, "failed_requests": 0,
            "indicators": [{"name": "errors"}, {"name": "backlog"}]}
    return {**base, **kw}


def test_a_ttd_target_with_impact_and_no_detection_fails_naming_the_indicator():
    [t] = evaluate(trial(), {"ttd": 90.0})
    assert t["passed"] is False and t["observed"] is None
    assert t["note"] == ("never detected: indicator 'backlog' left its objective 5 s after the "
                         "fault and no detector fired")


def test_no_impact_passes_and_names_the_indicators_watched():
    [t] = evaluate(trial(impact=False, tti_s=None, impact_by=None, ttr_s=None), {"ttr": 60.0})
    assert t["passed"] is True
    assert t["note"] == ("no impact: no indicator left its objective after the fault "
                         "(watched: errors, backlog)")


def test_a_trial_that_never_reached_the_fault_passes_nothing():
    [t] = evaluate(trial(impact=None, ttd_s=None), {"ttd": 90.0})
    assert t["passed"] is False and t["note"].startswith("not measured")


def test_data_loss_not_measured_fails():
    note = "not measured: no request carried write_ref"
    [t] = evaluate(trial(data_loss=None, data_loss_note=note), {"data_loss": 0})
    assert t["passed"] is False and t["note"] == note


# ---- the schema ---------------------------------------------------------------------------


SCENARIO = """
name: indicators
lab: {{compose: {compose}}}
load: {{users: 1, requests: [{{name: GET /, path: /}}]}}
faults: [{{type: pause, target: db, at: 10s, duration: 5s}}]
recovery: {{trigger: none}}
steady_state:
{steady}
"""


def write(tmp_path: Path, steady: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(compose=REPO / "compose" / "docker-compose.yml",
                                    steady=steady))
    return path


def test_the_schema_reads_every_type(tmp_path):
    sc = load_scenario(write(tmp_path, """  for: 15s
  indicators:
    - {name: backlog, type: sql, query: "SELECT 1", below: 100, every: 500ms}
    - {name: p99, type: latency, percentile: 99, below: 750ms, requests: [GET /items]}
    - {name: rate, type: throughput, above: 50%}
    - {name: ready, type: http, path: /ready}
    - {name: fails, type: error_rate, below: 5%, requests: [POST /orders]}"""))
    ss = sc.steady_state
    assert ss.hold_s == 15.0
    assert [(i.type, i.limit) for i in ss.indicators] == [
        ("sql", 100.0), ("latency", 0.75), ("throughput", 0.5), ("http", None),
        ("error_rate", 0.05)]
    assert [i.objective() for i in ss.indicators][:3] == [
        "below 100", "below 750ms", "above 50% of the baseline's successful requests/s"]


def test_the_old_form_still_reads(tmp_path):
    sc = load_scenario(write(tmp_path, "  error_rate: {below: 2%, for: 7s}"))
    assert (sc.steady_state.hold_s, sc.steady_state.error_rate.below) == (7.0, 0.02)


def test_every_indicator_mistake_at_once_with_its_line(tmp_path):
    path = write(tmp_path, """  indicators:
    - {name: a, type: sql, below: 1}
    - {name: c, type: http, path: /x, below: 3}
    - {name: d, type: latency, below: soon}
    - {name: e, type: sql, query: "SELECT 1", path: /x, below: 1, above: 2}""")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    for expected in ("s.yaml:9: steady_state.indicators[0].query: a 'sql' indicator needs 'query'",
                     "s.yaml:10: steady_state.indicators[1].below: an 'http' indicator's "
                     "objective is a 2xx answer",
                     "s.yaml:11: steady_state.indicators[2].below: invalid duration 'soon'",
                     "s.yaml:12: steady_state.indicators[3].path: 'path' is not used by a "
                     "'sql' indicator",
                     "s.yaml:12: steady_state.indicators[3].below: a 'sql' indicator needs "
                     "exactly one of 'below' or 'above'"):
        assert expected in text, expected


def test_indicators_checked_against_the_scenario(tmp_path):
    path = write(tmp_path, """  indicators:
    - {name: a, type: sql, query: "SELECT 1", below: 1}
    - {name: a, type: promql, query: up, below: 1}""")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "s.yaml:10: steady_state.indicators[1].name: indicator name 'a' is used twice" in text
    assert ("s.yaml:10: steady_state.indicators[1].type: a 'promql' indicator reads the lab's "
            "Prometheus") in text


def test_a_run_target_says_why_it_failed():
    from chaos.measure.summary import run_targets

    t1 = {**trial(), "targets": evaluate(trial(), {"ttd": 90.0})}
    t2 = {**trial(ttd_s=12.0), "targets": evaluate(trial(ttd_s=12.0), {"ttd": 90.0})}
    [run] = run_targets([t2, t1], {"ttd": 90.0})
    assert run["passed"] is False and run["observed"] is None   # the worst: never detected
    assert run["note"].startswith("never detected: indicator 'backlog'")
    [none] = run_targets([], {"ttd": 90.0})
    assert none["passed"] is False and none["note"] == "not measured: no trial completed"
