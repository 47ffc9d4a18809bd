"""When a container fault really took effect, and how long it held (real Docker).

A worker that ignores SIGTERM is down only after the stop's grace period, when
Docker sends SIGKILL: a "6 s" stop with a 3 s grace holds about 3 s, and the
timeline must say so (``effective_t``, ``held_s``) instead of the scenario's 6 s.
Beside it, a worker that honours SIGTERM is down at once and holds the full 6 s.
The faults run through the real ``FaultSchedule``, as a trial runs them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from chaos.build import build
from chaos.faults import container as container_faults
from chaos.faults.effect import shortfall_notes
from chaos.measure.timeline import Clock, Timeline
from chaos.scenario.specs import FaultSpec
from chaos.trial.context import TrialContext
from chaos.trial.faultschedule import FaultSchedule

pytestmark = pytest.mark.docker

IGNORES_TERM = ("import signal, time\n"
                "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                "time.sleep(3600)\n")
HONOURS_TERM = ("import signal, sys, time\n"
                "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
                "time.sleep(3600)\n")
# Docker sends SIGKILL `grace` s after SIGTERM, and the exit follows within
# milliseconds; a loaded 2-core host adds scheduling delay, never subtracts.
LATE_BY_AT_MOST_S = 1.0


class Workers:
    """The lab's ``container(service)`` over containers this test started."""

    def __init__(self, docker_client: Any, label: dict[str, str]) -> None:
        self.client, self.label, self.ids = docker_client, label, {}

    def start(self, service: str, program: str) -> None:
        c = self.client.containers.run("chaos/pybase:bookworm", ["python3", "-c", program],
                                       detach=True, labels=self.label)
        self.ids[service] = c.id
        deadline = time.monotonic() + 20
        while c.status != "running" and time.monotonic() < deadline:
            time.sleep(0.1)
            c.reload()
        time.sleep(0.5)   # the handler is installed before SIGTERM can arrive

    def container(self, service: str) -> Any:
        return self.client.containers.get(self.ids[service])


@pytest.fixture
def workers(docker_client, lab_images, test_label):
    w = Workers(docker_client, test_label)
    yield w
    mine = {"label": f"chaos.lab={test_label['chaos.lab']}"}
    for c in docker_client.containers.list(all=True, filters=mine):
        c.remove(force=True)


def run_faults(workers: Workers, specs: list[dict[str, Any]], tmp: Path,
               limit_s: float = 40) -> list[dict[str, Any]]:
    clock = Clock()
    timeline = Timeline(clock, tmp / "timeline.jsonl", trial=1)
    ctx = TrialContext(scenario=None, lab=workers, clock=clock,  # type: ignore[arg-type]
                       timeline=timeline, backups=None, app_url="", db_dsn="", workdir=tmp)
    faults = [build("fault", FaultSpec.model_validate(s), ctx) for s in specs]
    schedule = FaultSchedule(faults, ctx)
    while not schedule.over() and clock.now() < limit_s:
        schedule.due(clock.now(), first=lambda t: True)
        time.sleep(0.02)
    assert schedule.finish() == [] and schedule.errors == []
    timeline.close()
    return timeline.events


def by_index(events: list[dict[str, Any]], kind: str) -> dict[int, dict[str, Any]]:
    return {e["index"]: e for e in events if e["kind"] == kind}


def test_stop_counts_from_the_exit_not_from_the_call(workers, tmp_path):
    workers.start("stubborn", IGNORES_TERM)
    workers.start("polite", HONOURS_TERM)
    grace, duration = 3.0, 6.0
    events = run_faults(workers, [
        {"type": "stop", "at": "0.2s", "duration": f"{duration}s", "target": "stubborn",
         "grace": f"{grace}s"},
        {"type": "stop", "at": "0.2s", "duration": f"{duration}s", "target": "polite",
         "grace": f"{grace}s"}], tmp_path)
    injected, applied = by_index(events, "fault_injected"), by_index(events, "fault_applied")
    reverted = by_index(events, "fault_reverted")

    stubborn = applied[0]["effective_t"] - injected[0]["t"]
    print(f"stubborn: took effect {stubborn:.3f} s after injection, held "
          f"{reverted[0]['held_s']} s of {duration} s (exit {applied[0]['exit_code']})")
    assert grace <= stubborn <= grace + LATE_BY_AT_MOST_S
    assert applied[0]["effect_after_s"] == pytest.approx(stubborn, abs=0.002)
    assert applied[0]["exit_code"] == 137                          # SIGKILL after the grace
    assert reverted[0]["planned_s"] == duration
    assert reverted[0]["held_s"] == pytest.approx(duration - grace, abs=LATE_BY_AT_MOST_S)
    assert reverted[0]["held_s"] == pytest.approx(
        reverted[0]["ended_t"] - applied[0]["effective_t"], abs=0.002)
    # The end is when the container ran again: after the revert began, not before.
    assert reverted[0]["ended_t"] >= injected[0]["t"] + duration

    polite = applied[1]["effective_t"] - injected[1]["t"]
    print(f"polite: took effect {polite:.3f} s after injection, held "
          f"{reverted[1]['held_s']} s of {duration} s (exit {applied[1]['exit_code']})")
    assert 0 <= polite < LATE_BY_AT_MOST_S and applied[1]["exit_code"] == 0
    assert reverted[1]["held_s"] == pytest.approx(duration, abs=LATE_BY_AT_MOST_S)

    notes = shortfall_notes(events)
    assert len(notes) == 1, notes                       # the polite one held its time
    assert notes[0].startswith("fault stop (injected at t=0.2 s) held 3.")
    assert "of its 6 s duration: it took effect 3." in notes[0]


def test_restart_counts_from_the_exit_and_records_the_time_down(workers, tmp_path):
    workers.start("stubborn", IGNORES_TERM)
    events = run_faults(workers, [{"type": "restart", "at": "0.2s", "target": "stubborn",
                                   "grace": "2s"}], tmp_path)
    injected, applied = by_index(events, "fault_injected")[0], by_index(events, "fault_applied")[0]
    after = applied["effective_t"] - injected["t"]
    print(f"restart: down {after:.3f} s after injection, for {applied['held_s']} s")
    assert 2.0 <= after <= 2.0 + LATE_BY_AT_MOST_S
    assert 0 < applied["held_s"] < 2.0                 # down only while it started again
    assert not by_index(events, "fault_reverted")      # instant: nothing to revert
    assert workers.container("stubborn").status == "running"


def test_a_kill_that_takes_nothing_down_never_took_effect(workers, tmp_path, monkeypatch):
    monkeypatch.setattr(container_faults, "EXIT_WATCH_S", 1.5)
    workers.start("stubborn", IGNORES_TERM)
    events = run_faults(workers, [{"type": "kill", "at": "0.2s", "duration": "3s",
                                   "target": "stubborn", "signal": "SIGTERM"}], tmp_path)
    applied, reverted = by_index(events, "fault_applied")[0], by_index(events, "fault_reverted")[0]
    assert applied["effective_t"] is None and "effect_after_s" not in applied
    assert applied["not_effective"] == "the container was still running 1.5 s after SIGTERM"
    assert reverted["held_s"] is None and reverted["planned_s"] == 3.0
    assert shortfall_notes(events) == [
        "fault kill (injected at t=0.2 s) never took effect: the container was still "
        "running 1.5 s after SIGTERM"]


def test_sigkill_takes_effect_at_once(workers, tmp_path):
    workers.start("stubborn", IGNORES_TERM)
    events = run_faults(workers, [{"type": "kill", "at": "0.2s", "duration": "2s",
                                   "target": "stubborn"}], tmp_path)
    injected, applied = by_index(events, "fault_injected")[0], by_index(events, "fault_applied")[0]
    reverted = by_index(events, "fault_reverted")[0]
    print(f"SIGKILL: took effect {applied['effective_t'] - injected['t']:.3f} s after "
          f"injection, held {reverted['held_s']} s of 2 s")
    assert 0 <= applied["effective_t"] - injected["t"] < 0.5 and applied["exit_code"] == 137
    assert reverted["held_s"] == pytest.approx(2.0, abs=LATE_BY_AT_MOST_S)
    assert shortfall_notes(events) == []
