"""When a fault took effect and how long it held, without Docker: the schedule's
marks, the notes, the engine's timestamps and the grace parameter.
(tests/integration/test_fault_effect.py measures the same on real containers.)"""

from __future__ import annotations

import time
from calendar import timegm
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from chaos.faults.effect import inject_and_mark, reverted_fields, shortfall_notes
from chaos.lab.lifecycle import parse_instant
from chaos.measure.timeline import Clock, Timeline
from chaos.scenario.specs import FaultSpec
from chaos.trial.context import TrialContext
from chaos.trial.faultschedule import FaultSchedule

# ---- the engine's instants -------------------------------------------------------


def test_docker_instants_keep_their_nanoseconds():
    base = timegm((2026, 12, 6, 4, 28, 43))
    assert parse_instant("2026-12-06T04:28:43.763790041Z") == pytest.approx(base + 0.763790041,
                                                                           abs=1e-6)
    assert parse_instant("2026-12-06T04:28:43.5Z") == base + 0.5
    assert parse_instant("2026-12-06T04:28:43Z") == base


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00Z", "", None, "yesterday", 17,
                                  "2026-12-06T04:28:43.763790041+01:00"])
def test_the_zero_time_and_junk_are_no_instant(text):
    assert parse_instant(text) is None


# ---- the grace parameter ---------------------------------------------------------


def spec(**fields: Any) -> FaultSpec:
    return FaultSpec.model_validate({"at": "1s", "target": "worker", **fields})


@pytest.mark.parametrize("kind", ["stop", "restart"])
def test_grace_defaults_to_dockers_ten_seconds(kind):
    assert spec(type=kind).params.grace == 10.0
    assert spec(type=kind, grace="3s").params.grace == 3.0
    assert spec(type=kind, grace=0).params.grace == 0.0


@pytest.mark.parametrize("value, message", [
    ("1.5s", "grace must be whole seconds (Docker's stop timeout counts in seconds), got 1.5 s"),
    ("-1s", "must not be negative"),
    ("soon", "invalid duration"),
])
def test_grace_is_checked_before_anything_runs(value, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        spec(type="stop", grace=value)


def test_kill_has_no_grace():
    with pytest.raises(ValidationError, match="grace"):
        spec(type="kill", grace="3s")


# ---- the marks ---------------------------------------------------------------------


class FakeFault:
    """A fault that takes ``takes_s`` to inject and may report its own instants."""

    instant = False

    def __init__(self, takes_s: float = 0.0, duration: float | None = 1.0,
                 own: dict[str, Any] | None = None) -> None:
        self.spec = SimpleNamespace(type="fake", at=0.0, duration=duration)
        self.takes_s, self.own, self.detail = takes_s, own or {}, {}
        self.reverted = 0

    def inject(self) -> None:
        time.sleep(self.takes_s)
        self.detail.update(self.own)

    def revert(self) -> None:
        self.reverted += 1

    def cleanup(self) -> None:
        pass


class FixedClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


def test_a_fault_without_its_own_instant_took_effect_when_inject_returned():
    f = FakeFault()
    inject_and_mark(f, FixedClock(12.5), injected_t=10.0)
    assert f.detail == {"effective_t": 12.5, "effect_after_s": 2.5}


def test_a_fault_that_observed_its_instant_keeps_it():
    f = FakeFault(own={"effective_t": 11.0})
    inject_and_mark(f, FixedClock(12.5), injected_t=10.0)
    assert f.detail == {"effective_t": 11.0, "effect_after_s": 1.0}


def test_a_fault_that_never_took_effect_is_not_given_an_instant():
    f = FakeFault(own={"effective_t": None, "not_effective": "still running"})
    inject_and_mark(f, FixedClock(12.5), injected_t=10.0)
    assert f.detail == {"effective_t": None, "not_effective": "still running"}


def test_a_failed_inject_marks_nothing():
    f = FakeFault()
    f.inject = lambda: 1 / 0   # type: ignore[method-assign]
    with pytest.raises(ZeroDivisionError):
        inject_and_mark(f, FixedClock(12.5), injected_t=10.0)
    assert f.detail == {}


def test_reverted_fields():
    f = FakeFault(duration=60.0)
    f.detail = {"effective_t": 50.0}
    assert reverted_fields(f, 100.0) == {"ended_t": 100.0, "held_s": 50.0, "planned_s": 60.0}
    f.detail["ended_t"] = 100.4         # observed by the fault: the container ran again
    assert reverted_fields(f, 100.0)["held_s"] == 50.4
    f.detail = {"effective_t": None}
    assert reverted_fields(f, 100.0) == {"ended_t": 100.0, "held_s": None, "planned_s": 60.0}
    f.detail = {}                        # inject never finished
    assert reverted_fields(f, 100.0)["held_s"] is None


def test_the_schedule_puts_the_marks_on_the_faults_events():
    clock = Clock()
    timeline = Timeline(clock, None, trial=1)
    ctx = TrialContext(scenario=None, lab=None, clock=clock, timeline=timeline, backups=None,
                       app_url="", db_dsn="", workdir=None)  # type: ignore[arg-type]
    fault = FakeFault(takes_s=0.4, duration=1.0)
    schedule = FaultSchedule([fault], ctx)
    while not schedule.over() and clock.now() < 10:
        schedule.due(clock.now(), first=lambda t: True)
        time.sleep(0.01)
    kinds = {e["kind"]: e for e in timeline.events}
    injected, applied, reverted = (kinds["fault_injected"], kinds["fault_applied"],
                                   kinds["fault_reverted"])
    assert applied["effect_after_s"] == pytest.approx(0.4, abs=0.1)
    assert applied["effective_t"] == pytest.approx(injected["t"] + 0.4, abs=0.1)
    assert reverted["planned_s"] == 1.0 and fault.reverted == 1
    assert reverted["held_s"] == pytest.approx(0.6, abs=0.1)
    assert reverted["held_s"] == pytest.approx(reverted["ended_t"] - applied["effective_t"],
                                               abs=0.002)


# ---- the notes -----------------------------------------------------------------------


def trial_events(effective: float | None, held: float | None, planned: float | None = 60.0,
                 ended: float | None = None, **applied: Any) -> list[dict[str, Any]]:
    injected_t = 40.0
    eff = {"effective_t": effective}
    if effective is not None:
        eff["effect_after_s"] = round(effective - injected_t, 3)
    return [{"t": injected_t, "kind": "fault_injected", "fault": "stop", "index": 0},
            {"t": 50.1, "kind": "fault_applied", "fault": "stop", "index": 0, **eff, **applied},
            {"t": 100.0, "kind": "fault_reverted", "fault": "stop", "index": 0,
             "ended_t": ended if ended is not None else 100.5, "held_s": held,
             "planned_s": planned}]


def test_a_fault_that_held_its_time_gets_no_note():
    assert shortfall_notes(trial_events(40.05, 60.4)) == []
    assert shortfall_notes(trial_events(40.05, 57.5)) == []    # 2.5 s short of 60: under 5 %


def test_a_stop_that_took_effect_late_is_noted():
    assert shortfall_notes(trial_events(50.0, 50.5)) == [
        "fault stop (injected at t=40.0 s) held 50.5 s of its 60 s duration: "
        "it took effect 10.0 s after injection"]


def test_a_fault_ended_early_is_noted_with_the_reason_it_can_tell():
    notes = shortfall_notes(trial_events(40.05, 20.0, ended=60.05))
    assert notes == ["fault stop (injected at t=40.0 s) held 20.0 s of its 60 s duration: it "
                     "ended 40.0 s before its time (reverted early, or undone by something "
                     "else, e.g. a restart policy)"]


def test_a_fault_that_never_took_effect_is_noted_once():
    events = trial_events(None, None, not_effective="the container was still running 10 s "
                                                    "after SIGTERM")
    assert shortfall_notes(events) == [
        "fault stop (injected at t=40.0 s) never took effect: the container was still "
        "running 10 s after SIGTERM"]


def test_errors_and_records_from_before_the_marks_get_no_note():
    failed = trial_events(None, None, error="APIError: boom")
    assert shortfall_notes(failed) == []       # "fault error: ..." is its note already
    old = [{k: v for k, v in e.items() if k not in ("effective_t", "effect_after_s", "held_s",
                                                      "ended_t", "planned_s")}
           for e in trial_events(50.0, 50.5)]
    assert shortfall_notes(old) == []


def test_a_fault_without_a_duration_cannot_fall_short():
    assert shortfall_notes(trial_events(50.0, 50.5, planned=None)) == []


# ---- what the reports say --------------------------------------------------------------


def test_the_container_faults_say_when_the_container_went_down():
    from chaos.partregistry import faults

    stop, restart = faults.get("stop"), faults.get("restart")
    assert stop.describe({"kind": "fault_applied", "effective_t": 50.02,
                          "effect_after_s": 10.02, "exit_code": 137}) == (
        "the container went down 10.0 s after injection (exit code 137: SIGKILL)")
    assert restart.describe({"effect_after_s": 2.07, "exit_code": 137, "held_s": 0.44}) == (
        "the container went down 2.1 s after injection (exit code 137: SIGKILL), "
        "down for 0.4 s")
    assert faults.get("kill").describe({"effective_t": None, "not_effective": "the container "
                                        "was still running 10 s after SIGTERM"}) == (
        "never took effect: the container was still running 10 s after SIGTERM")
    assert stop.describe({"kind": "fault_applied"}) is None   # a record from before


def test_an_unreadable_engine_instant_neither_fails_nor_undoes_the_stop():
    from docker.errors import APIError

    from chaos.build import build

    class Flaky:
        id, status = "c0ffee", "running"
        stopped = started = 0

        def stop(self, timeout: int) -> None:
            self.stopped += 1
            self.status = "exited"

        def start(self) -> None:
            self.started += 1
            self.status = "running"

        def reload(self) -> None:
            if self.status == "exited":
                raise APIError("engine busy")

    box = Flaky()
    ctx = SimpleNamespace(lab=SimpleNamespace(container=lambda name: box), clock=FixedClock(3.0))
    stop = build("fault", spec(type="stop", duration="5s", grace="2s"), ctx)
    inject_and_mark(stop, ctx.clock, injected_t=1.0)        # no exception: the stop happened
    assert box.stopped == 1 and stop.detail["effective_t"] == 3.0
    assert stop.detail["effect_note"].startswith("the engine's exit instant could not be read "
                                                 "(APIError: engine busy)")
