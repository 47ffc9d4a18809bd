"""Stop conditions (`abort_if`) on hand-made observations, and what a trial does when one holds."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from chaos.measure.timeline import Clock, Timeline
from chaos.safety.abort import AbortWatch
from chaos.scenario.measuresections import AbortRule
from chaos.scenario.specs import StepSpec
from chaos.trial import TrialState
from chaos.trial.ending import EndPolicy
from chaos.trial.recovery import Recovery


def rule(metric: str, above, for_=0) -> AbortRule:
    return AbortRule.model_validate({"metric": metric, "above": above, "for": for_})


def feed(watch: AbortWatch, start: float, end: float, ok: bool, every: float = 0.1) -> None:
    t = start
    while t < end:
        watch.observe(t, ok)
        t = round(t + every, 6)


def test_error_rate_must_hold_for_its_duration():
    watch = AbortWatch([rule("error_rate", "90%", "10s")])
    feed(watch, 0, 20, ok=True)
    assert watch.check(20, failed=0) is None
    feed(watch, 20, 40, ok=False)
    assert watch.check(26, failed=60) is None     # above 90% since ~25 s (5 s window)
    assert watch.check(34, failed=140) is None
    reason = watch.check(36, failed=160)
    assert reason is not None and reason.startswith("error_rate above 90% for 10s")


def test_error_rate_dip_restarts_the_clock():
    watch = AbortWatch([rule("error_rate", "50%", "5s")], window=1.0)
    feed(watch, 0, 4, ok=False)
    assert watch.check(1, failed=10) is None
    assert watch.check(4, failed=40) is None
    feed(watch, 4, 6, ok=True)
    assert watch.check(6, failed=40) is None      # the dip resets the pending time
    feed(watch, 6, 12, ok=False)
    assert watch.check(7, failed=50) is None
    assert watch.check(10, failed=80) is None
    assert watch.check(12.5, failed=100) is not None


def test_no_answers_is_no_value_not_an_error_rate():
    watch = AbortWatch([rule("error_rate", "10%")])
    assert watch.check(100, failed=0) is None
    feed(watch, 0, 1, ok=False)
    assert watch.check(1, failed=10) is not None
    assert watch.check(60, failed=10) is None      # the window emptied


def test_failed_requests_and_elapsed():
    watch = AbortWatch([rule("failed_requests", 100), rule("elapsed", "2m")])
    assert watch.check(10, failed=100) is None
    assert watch.check(10, failed=101) == "failed_requests above 100 (observed 101)"
    assert watch.check(121, failed=0) == "elapsed above 2m (observed 2m1s)"


def test_first_rule_that_holds_wins_and_no_rules_never_abort():
    assert AbortWatch([]).check(1e6, failed=10**9) is None
    watch = AbortWatch([rule("elapsed", "1s"), rule("failed_requests", 0)])
    assert watch.check(5, failed=5).startswith("elapsed")


@pytest.mark.parametrize("above", [".nan", ".inf", "-1", "abc"])
def test_limits_that_would_misfire_are_rejected(above):
    import yaml
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        AbortRule.model_validate({"metric": "failed_requests", "above": yaml.safe_load(above)})


def parts(rules, steps, runbook_ran=False) -> SimpleNamespace:
    """The trial's end policy and recovery, real, on a real clock and timeline; no lab, no load."""
    clock = Clock()
    ctx = SimpleNamespace(clock=clock, timeline=Timeline(clock, None, trial=1))
    sc = SimpleNamespace(recovery=SimpleNamespace(steps=steps, trigger="none"), time_limit=1e9,
                         abort_if=rules)
    state = TrialState()
    recovery = Recovery(sc.recovery, ctx, state)
    if runbook_ran:
        recovery.thread = threading.Thread(target=lambda: None)   # started (and done) before
    return SimpleNamespace(ctx=ctx, state=state, recovery=recovery,
                           ending=EndPolicy(sc, ctx, state, manual=False))


def check(p, now: float) -> None:
    p.ending.check(now, faults_over=True, recovering=False)


def steps(*raw):
    return [StepSpec.model_validate(r) for r in raw]


def test_a_stop_condition_ends_the_trial_and_runs_the_always_steps():
    p = parts([rule("failed_requests", 3)],
              steps({"wait": {"duration": "10ms", "always": True}}, {"wait": "5s"}))
    p.state.counts.failed = 2
    check(p, 1.0)
    assert p.state.end_reason is None
    p.state.counts.failed = 4
    check(p, 2.0)
    assert p.state.aborted and p.state.end_reason == "aborted: failed_requests above 3 (observed 4)"
    p.recovery.always_steps()
    kinds = [(e["kind"], e.get("step")) for e in p.ctx.timeline.events]
    assert kinds == [("abort_condition", None), ("recovery_started", None),
                     ("step_started", "wait"), ("step_done", "wait"), ("recovery_finished", None)]


def test_always_steps_do_not_run_twice_or_without_an_abort():
    always = steps({"wait": {"duration": "10ms", "always": True}})
    p = parts([], always)
    p.state.end_reason = "recovered"
    p.recovery.always_steps()
    assert p.ctx.timeline.events == []
    p = parts([rule("elapsed", 0)], always, runbook_ran=True)
    check(p, 1.0)
    p.recovery.always_steps()     # the runbook already ran (or runs): its own steps are enough
    assert [e["kind"] for e in p.ctx.timeline.events] == ["abort_condition"]


def test_a_stop_condition_never_overrides_an_ending_already_reached():
    p = parts([rule("elapsed", 0)], [])
    p.state.end_reason = "recovered"
    check(p, 10.0)
    assert p.state.end_reason == "recovered"
    p.ending.abort("max_duration")          # nor does a run's spent budget
    assert p.state.end_reason == "recovered"
