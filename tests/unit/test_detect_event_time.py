"""Request-window rules fire in event time, independent of when they are checked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from chaos.detect.ruleengines import ErrorRateRule, LatencyRule


def feed(rule, until: float, bad, step: float = 0.01, check_every: int = 1):
    t, i = 0.0, 0
    while t < until:
        rule.observe(t, not bad(t), 1.0 if bad(t) else 0.01)
        i += 1
        if i % check_every == 0:
            rule.check(t)
        t = round(t + step, 6)
    return rule.check(until)


@pytest.mark.parametrize("check_every", [1, 10, 37])
def test_error_rate_fires_at_pending_plus_for_whatever_the_tick(check_every):
    rule = ErrorRateRule("e", SimpleNamespace(window=2.0, above=0.05, for_=1.0), None)
    fired = feed(rule, 10.0, lambda t: 5.0 <= t < 8.0, check_every=check_every)
    # 11 failures of the 200 answers in the 2 s window make it above 5%: 5.10 s; then for 1 s
    assert fired == pytest.approx(6.10, abs=1e-6)


def test_no_data_is_not_a_breach():
    rule = ErrorRateRule("e", SimpleNamespace(window=0.3, above=0.05, for_=0.5), None)
    rule.observe(0.0, False, 0.01)
    assert rule.check(0.2) is None
    assert rule.check(5.0) is None      # the failure left the window at 0.3, before for elapsed


def test_a_false_alarm_before_the_fault_does_not_hide_detection():
    rule = ErrorRateRule("e", SimpleNamespace(window=1.0, above=0.05, for_=0.2), None)
    feed(rule, 2.0, lambda t: t < 0.5)
    assert rule.fired_at == pytest.approx(0.2)
    rule.reset(2.0)
    assert rule.check(2.5) is None      # the old condition ended before the fault
    for i in range(100):
        rule.observe(3.0 + i * 0.01, False, 0.01)
    assert rule.check(4.0) == pytest.approx(3.2)


def test_an_alarm_holding_across_the_fault_must_fire_again_not_at_the_fault():
    # Failing before the fault (a load that does not fit the app, a flaky probe): the
    # rule fired at 0.2 s and its condition still holds when the fault comes at 2 s.
    rule = ErrorRateRule("e", SimpleNamespace(window=1.0, above=0.05, for_=0.5), None)
    feed(rule, 2.0, lambda t: True)
    assert rule.fired_at is not None and rule.fired_at < 2.0
    rule.reset(2.0)
    assert rule.check(2.0) is None                   # not "detected" at the fault instant
    rule.observe(1.99, False, 0.01)                  # a late line from before the fault: ignored
    assert rule.window == type(rule.window)()
    for i in range(100):
        rule.observe(2.0 + i * 0.01, False, 0.01)    # failing on after the fault
    fired = rule.check(3.0)
    # pending again from the first post-fault answer (2.0), firing after 'for' (0.5 s)
    assert fired == pytest.approx(2.5)


def test_a_probe_reset_at_the_fault_counts_failures_anew():
    from chaos.detect.base import ProbeThread

    probe = ProbeThread("p", SimpleNamespace(every=1.0, failures=3), None)
    probe.consecutive, probe.fired_at = 7, 1.0
    probe.reset(2.0)
    assert (probe.consecutive, probe.fired_at) == (0, None)


def test_latency_percentile_rule():
    rule = LatencyRule("l", SimpleNamespace(window=2.0, above=0.5, for_=0.0, percentile=95.0), None)
    fired = feed(rule, 4.0, lambda t: t >= 2.505)
    assert fired == pytest.approx(2.61, abs=0.011)   # 10-11 slow answers of ~200: p95 above
    assert len(rule.latencies) == len(rule.window)
