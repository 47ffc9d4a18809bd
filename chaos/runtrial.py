"""One trial of a run: its clock and timeline, its line on the terminal and its place
on the live board, the phase its first fault lands at against Prometheus's evaluation
ticks, the run's time budget; and its record, written even when the trial fails.

    rec = run_trial(n, scenario, lab, out, opts, record, deadline, live, blind, phase_s)

``chaos.run`` calls it once per trial, between the lab's resets.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from chaos.atomic import write_json
from chaos.lab.lab import Lab
from chaos.live import Live, with_board
from chaos.measure.eventkinds import Kind
from chaos.measure.timeline import Clock, Timeline
from chaos.progress import QUIET_KINDS, for_terminal, format_event, progress_printer
from chaos.record import RunRecord, TrialRecord
from chaos.recover.backups import BackupStore
from chaos.scenario import Scenario
from chaos.trial import Trial, TrialContext
from chaos.trial.faultphase import evaluation_tick, fault_delay
from chaos.trial.recorded import trial_record

MAX_DURATION = "max_duration"   # abort reason when --max-duration runs out


class TrialOptions(Protocol):
    """What of the run's options a trial reads (``chaos.run.RunOptions`` has them)."""

    @property
    def log(self) -> Callable[[str], None]: ...

    @property
    def keep_observations(self) -> bool: ...


def trial_phase(scenario: Scenario, seed: int | None, n: int, fixed: bool) -> float | None:
    """The phase (seconds after a rule evaluation tick) trial ``n``'s first fault should
    land at: seeded uniform within the evaluation interval, or mid-interval with ``fixed``; None
    without Prometheus (``chaos.trial.faultphase``)."""
    prom = scenario.observe.prometheus if scenario.observe else None
    if prom is None:
        return None
    if fixed or seed is None:   # mid-interval: never racing the tick itself
        return round(prom.evaluation_interval / 2, 3)
    return round(random.Random(seed * 1009 + n).uniform(0.0, prom.evaluation_interval), 3)


def run_trial(n: int, scenario: Scenario, lab: Lab, out: Path, opts: TrialOptions,
              record: RunRecord, deadline: float | None = None,
              live: Live | None = None, blind: dict[str, Any] | None = None,
              phase_s: float | None = None) -> TrialRecord:
    workdir = out / f"trial-{n}"
    clock = Clock()
    timeline = Timeline(clock, out / "timeline.jsonl", trial=n)
    if blind is not None:   # the record keeps what only the facilitator may see live
        timeline.add(Kind.BLIND_CHOICE, **blind)
    display = for_terminal(opts.log, progress_printer(opts.log), format_event, scenario.time_limit,
                           url=live.url if live else None, title=f"{scenario.name} · trial {n}")
    timeline.listeners.append(lambda e: e["kind"] in QUIET_KINDS or display.event(e))
    ctx = TrialContext(scenario=scenario, lab=lab, clock=clock, timeline=timeline,
                       backups=BackupStore(lab), app_url=lab.app_url, db_dsn=lab.db_dsn,
                       workdir=workdir)
    delay, tick = 0.0, None
    if phase_s is not None:
        tick = evaluation_tick(lab)
        if tick is None:
            opts.log("note: Prometheus evaluated no rule group yet: the fault's phase against "
                     "its ticks is left to chance")
        else:
            delay = fault_delay(min(f.at for f in scenario.faults), clock, tick, phase_s)
    trial = Trial(ctx, on_tick=stop_at(deadline, with_board(display.tick, live)),
                  phase_s=delay)
    if live is not None:
        live.board.attach(n, trial)
    t0 = time.monotonic()
    try:
        state = trial.run()
    finally:
        display.close()
        if live is not None:
            live.board.detach()
        # Even an aborted trial keeps what it measured.
        record.trials[-1] = trial_record(n, trial, timeline, ctx, time.monotonic() - t0)
        write_json(out / "result.json", record.as_dict())
        timeline.close()
        if not opts.keep_observations:
            shutil.rmtree(workdir / "observations", ignore_errors=True)
    aborted = not state.end_reason or trial.aborted
    rec = trial_record(n, trial, timeline, ctx, time.monotonic() - t0, verify=True,
                       status="aborted" if aborted else "completed")
    if tick is not None and phase_s is not None:
        rec.phase_s, rec.phase_delay_s = phase_s, delay
    return rec


def stop_at(deadline: float | None, tick: Callable[[Trial], None]) -> Callable[[Trial], None]:
    """``tick``, and end the trial as aborted (``max_duration``) once the run's budget is spent."""

    def on_tick(trial: Trial) -> None:
        tick(trial)
        if deadline is not None and time.monotonic() >= deadline:
            trial.abort(MAX_DURATION)   # finish() reverts, as for abort_if

    return on_tick
