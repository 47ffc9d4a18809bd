"""Metrics, steady state and data loss on hand-made timelines with known answers."""

from __future__ import annotations

import pytest

from chaos.measure.dataloss import WriteLog, account
from chaos.measure.metrics import RequestCounts, compute
from chaos.measure.observation import Observation
from chaos.measure.steady import SteadyStateTracker
from chaos.measure.summary import run_targets, summarize
from chaos.measure.targets import evaluate


def ev(kind: str, t: float, **detail) -> dict:
    return {"kind": kind, "t": t, "wall": f"2026-01-01T00:00:{t:06.3f}+00:00", "trial": 1, **detail}


def counts(requests: list[tuple[float, bool]], t_fault: float | None) -> RequestCounts:
    c = RequestCounts()
    for end, ok in requests:
        c.add(end, ok, t_fault)
    return c


# A full cycle: fault at 10, alert at 12.5, recovery at 15, errors stop at 20, steady at 30.
FULL = [ev("trial_started", 0.0), ev("detector_fired", 4.0, name="flaky"),
        ev("fault_injected", 10.0, fault="kill"), ev("impact", 11.0, indicator="errors"),
        ev("detector_fired", 12.5, name="errors"),
        ev("detector_fired", 13.0, name="health"), ev("recovery_started", 15.0),
        ev("mitigated", 20.0), ev("recovered", 30.0), ev("trial_ended", 31.0)]
REQUESTS = [(5.0, True), (6.0, False), (10.5, True), (11.0, False), (14.0, False),
            (20.0, False), (21.0, True), (29.0, True)]


# ---- RequestCounts ------------------------------------------------------------------


def test_request_counts_split_failures_at_the_fault():
    c = counts(REQUESTS, t_fault=10.0)
    assert (c.total, c.failed, c.failed_after_fault) == (8, 4, 3)
    assert (c.first_failure_t, c.last_failure_t) == (11.0, 20.0)


def test_request_counts_before_any_fault():
    c = counts(REQUESTS, t_fault=None)
    assert (c.failed, c.failed_after_fault, c.first_failure_t) == (4, 0, None)


# ---- compute -----------------------------------------------------------------------


def test_compute_full_cycle():
    m = compute(FULL, counts(REQUESTS, 10.0))
    assert m.impact is True
    assert (m.ttd_s, m.tta_s, m.ttm_s, m.ttr_s, m.outage_s) == (2.5, 2.5, 10.0, 20.0, 9.0)
    assert (m.tti_s, m.impact_by) == (1.0, "errors")
    assert m.detected_by == "errors"          # the detector that fired before the fault is ignored
    assert (m.failed_requests, m.total_requests) == (4, 8)
    assert m.notes == []


def test_compute_is_independent_of_event_order():
    assert (compute(list(reversed(FULL)), counts(REQUESTS, 10.0))
            == compute(FULL, counts(REQUESTS, 10.0)))


def test_compute_error_budget():
    c = counts([(float(i), i % 10 != 0) for i in range(100)], t_fault=None)
    # 10 failed / 5 allowed
    assert compute([], c, slo=0.95).error_budget_burned == pytest.approx(2.0)
    assert compute([], c).error_budget_burned is None


def test_compute_no_fault():
    m = compute([ev("trial_started", 0.0), ev("detector_fired", 4.0, name="x")],
                counts(REQUESTS, None))
    assert m.impact is False
    assert (m.ttd_s, m.tta_s, m.ttm_s, m.ttr_s, m.outage_s, m.detected_by) == (None,) * 6
    assert m.notes == ["no fault was injected"]


def test_compute_no_impact():
    events = [ev("fault_injected", 10.0), ev("trial_ended", 25.0, reason="no_impact")]
    m = compute(events, counts([(5.0, False), (11.0, True), (12.0, True)], 10.0),
                watched=["errors", "backlog"])
    assert m.impact is False
    assert (m.tti_s, m.ttd_s, m.tta_s, m.ttm_s, m.ttr_s, m.outage_s) == (None,) * 6
    assert m.failed_requests == 1                    # the failure before the fault still counts
    assert m.notes == ["no impact: no indicator left its objective after the fault "
                       "(watched: errors, backlog)"]


def test_compute_impact_without_any_failed_request():
    # A stopped worker: no request fails, the backlog indicator leaves its objective.
    events = [ev("fault_injected", 10.0), ev("impact", 15.2, indicator="backlog", value=101),
              ev("detector_fired", 30.0, name="page"), ev("mitigated", 75.0),
              ev("recovered", 85.0)]
    m = compute(events, counts([(11.0, True), (80.0, True)], 10.0))
    assert m.impact is True and m.failed_requests == 0
    assert (m.tti_s, m.impact_by, m.ttd_s, m.ttm_s, m.ttr_s) == (5.2, "backlog", 20.0, 65.0, 75.0)
    assert m.outage_s == pytest.approx(59.8)                   # impact -> mitigated


def test_compute_never_detected():
    events = [ev("fault_injected", 10.0), ev("impact", 11.0, indicator="errors"),
              ev("recovery_started", 15.0), ev("mitigated", 15.5), ev("recovered", 25.5)]
    m = compute(events, counts([(11.0, False), (15.5, False)], 10.0))
    assert (m.ttd_s, m.tta_s, m.detected_by) == (None, None, None)
    assert (m.ttm_s, m.ttr_s, m.outage_s) == (5.5, 15.5, 4.5)
    assert ("indicator 'errors' left its objective at t=+1.0 s after the fault but no "
            "detector fired") in m.notes


def test_compute_never_recovered():
    events = [ev("fault_injected", 10.0), ev("impact", 10.5, indicator="errors"),
              ev("detector_fired", 11.0, name="e"), ev("trial_ended", 250.0, reason="time_limit")]
    m = compute(events, counts([(10.5, False), (249.0, False)], 10.0))
    assert (m.ttd_s, m.tta_s, m.ttm_s, m.ttr_s) == (1.0, None, None, None)
    assert m.outage_s is None                     # never mitigated: no end to measure to
    assert "service was not restored within the time limit" in m.notes


# ---- SteadyStateTracker --------------------------------------------------------------


def feed(s: SteadyStateTracker, requests: list[tuple[float, bool]]) -> SteadyStateTracker:
    for end, ok in requests:
        s.add(end, ok)
    return s


def test_steady_state_holds_after_the_last_failure():
    s = SteadyStateTracker(below=0.01, hold_s=5.0, since=10.0)
    feed(s, [(10.0 + i * 0.1, False) for i in range(31)])            # failures up to 13.0
    feed(s, [(13.0 + i * 0.1, True) for i in range(1, 40)])          # answers up to 16.9
    assert s.since == pytest.approx(13.0)
    assert s.held_until() is None                                     # not 5 s yet
    feed(s, [(18.0, True)])
    assert s.held_until() == pytest.approx(18.0)                      # 13 + 5, not the poll time
    assert s.failures_seen == 31


def test_no_steady_window_starts_while_a_slow_fault_is_still_applying():
    # A half-applied update on a large table: its UPDATE runs 17 s with requests
    # mostly answered; the breaking statement lands at 57 s. The 10 s of good answers
    # from 40 s on must not count as a recovery from a fault that had not yet happened.
    s = feed(SteadyStateTracker(below=0.01, hold_s=10.0, since=40.0),
             [(40.0 + i * 0.1, True) for i in range(1, 170)])         # up to 56.9
    assert s.held_until() == pytest.approx(50.0)                      # the old, wrong answer
    s.not_before(57.0)
    assert s.held_until() is None
    feed(s, [(57.5, False), (58.0, True), (68.0, True)])
    assert s.since == pytest.approx(57.5)
    assert s.held_until() == pytest.approx(67.5)
    s.not_before(50.0)                                                # never moves it back
    assert s.since == pytest.approx(57.5)


def test_steady_state_tolerates_failures_below_the_limit():
    s = feed(SteadyStateTracker(below=0.01, hold_s=5.0, since=0.0),
             [(0.01 * i, True) for i in range(1, 201)] + [(2.5, False), (6.0, True)])
    assert s.since == 0.0                                             # 1 in 201 < 1%
    assert s.held_until() == 5.0


def test_steady_state_resets_when_errors_return():
    s = feed(SteadyStateTracker(below=0.5, hold_s=2.0, since=0.0),
             [(0.5, False), (1.0, True), (1.5, True), (1.8, False), (1.9, False)])
    assert s.since == 1.9                 # 2 failed of 3 since 0.5 crosses 50%
    assert s.held_until() is None


def test_steady_state_ignores_answers_before_its_start():
    s = feed(SteadyStateTracker(below=0.01, hold_s=1.0, since=10.0), [(5.0, False), (9.9, False)])
    assert (s.answered, s.failed, s.since) == (0, 0, 10.0)
    assert s.held_until() is None                                     # no answer at all yet


def test_steady_state_needs_answers_not_just_time():
    s = feed(SteadyStateTracker(below=0.01, hold_s=1.0, since=0.0), [(0.5, False)])
    assert s.held_until() is None                                     # silence is not recovery


# ---- data loss -----------------------------------------------------------------------


def obs(ok: bool, status: int, write: bool = True, ref: str | None = "r", ack: int | None = 1):
    return Observation(start=0.0, end=0.1, ok=ok, status=status, ref=ref if write else None)


def test_write_log_sorts_writes():
    log = WriteLog()
    log.add(obs(True, 201, ref="acked"), end_t=3.0, start_t=2.9)
    log.add(obs(False, 0, ref="timed-out", ack=None), end_t=8.0, start_t=3.0)
    log.add(obs(False, 500, ref="refused", ack=None), end_t=4.0, start_t=3.9)
    log.add(obs(True, 200, write=False, ref=None, ack=None), end_t=4.0, start_t=3.9)
    assert log.as_dicts() == ({"acked": 3.0}, {"timed-out": 3.0})


def test_account_lost_unknown_and_rpo():
    log = WriteLog.of(acked={"a": 1.0, "b": 5.0, "c": 9.0, "d": 12.0},
                   unknown={"u1": 11.0, "u2": 11.5})
    r = account(log, present={"a", "b", "u1"}, t_fault=10.0)
    assert (r["acknowledged"], r["lost"], r["unknown"]) == (4, 2, 2)
    assert (r["unknown_found"], r["unknown_missing"]) == (1, 1)
    assert r["lost_sample"] == ["c", "d"] and r["lost_window_s"] == [9.0, 12.0]
    assert r["rpo_s"] == 5.0                       # the newest surviving pre-fault write was at 5


def test_account_nothing_lost():
    r = account(WriteLog.of(acked={"a": 1.0}), present={"a"}, t_fault=10.0)
    assert (r["lost"], r["lost_window_s"], r["rpo_s"]) == (0, None, 0.0)


def test_account_without_fault_has_no_rpo():
    r = account(WriteLog.of(acked={"a": 1.0}), present=set(), t_fault=None)
    assert (r["lost"], r["rpo_s"]) == (1, None)


def test_account_everything_before_the_fault_lost():
    r = account(WriteLog.of(acked={"a": 1.0, "b": 2.0, "c": 11.0}), present={"c"}, t_fault=10.0)
    assert (r["lost"], r["rpo_s"]) == (2, None)    # no bound can be stated


def test_account_sample_is_oldest_first_and_bounded():
    log = WriteLog.of(acked={f"w{i:02d}": float(30 - i) for i in range(30)})
    r = account(log, present=set(), t_fault=0.0, sample=5)
    assert r["lost"] == 30 and r["lost_sample"] == ["w29", "w28", "w27", "w26", "w25"]


# ---- targets and summary -----------------------------------------------------------


def test_targets_null_cases():
    no_impact = {"impact": False, "ttd_s": None, "ttr_s": None, "data_loss": {"lost": 0}}
    assert [t["passed"] for t in evaluate(no_impact, {"ttd": 30, "ttr": 60, "data_loss": 0})] == [
        True, True, True]
    never = {"impact": True, "ttd_s": None, "ttr_s": 70.0, "data_loss": None}
    ttd, ttr, loss = evaluate(never, {"ttd": 30, "ttr": 60, "data_loss": 0})
    assert ((ttd["passed"], ttd["observed"], ttr["passed"], loss["passed"])
            == (False, None, False, False))
    assert "not measured" in loss["note"]
    unmeasured = {**never,
                  "data_loss_note": "not measured: the scenario declares no data_loss query"}
    assert evaluate(unmeasured, {"data_loss": 0})[0]["note"] == unmeasured["data_loss_note"]


def test_summary_keeps_nulls_apart():
    trials = [{"ttd_s": 1.0, "data_loss": {"lost": 0}}, {"ttd_s": None, "data_loss": None},
              {"ttd_s": 3.0, "data_loss": {"lost": 4}}]
    s = summarize(trials)
    assert s["ttd_s"] == {"n": 2, "nulls": 1, "median": 2.0, "min": 1.0, "max": 3.0, "p90": 2.8}
    assert s["ttr_s"] == {"n": 0, "nulls": 3}
    assert s["data_loss.lost"]["max"] == 4


def test_run_targets_take_the_worst_trial():
    trials = [{"ttd_s": 5.0, "targets": [{"metric": "ttd", "passed": True}]},
              {"ttd_s": 40.0, "targets": [{"metric": "ttd", "passed": False}]}]
    assert run_targets(trials, {"ttd": 30}) == [
        {"metric": "ttd", "limit": 30, "observed": 40.0, "passed": False}]
    assert run_targets([], {"ttd": 30})[0]["passed"] is False
