"""One trial: fault → detect → recover, measured on one clock.

The loop polls every ``TICK`` seconds: it reads new request observations,
feeds detectors and the steady-state tracker, starts faults, backups and the
recovery when they are due, and ends when the steady state has held (or
there was nothing to recover from), or at the time limit. Slow work (a fault's
injection, a backup, the runbook) runs on worker threads so that detection
timing never waits behind it. Every fault is reverted in ``finally``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from chaos.detect.build import build_detectors
from chaos.faults.build import build_fault
from chaos.lab.lab import Lab, record_load_pids
from chaos.load.runner import LoadRunner, LoadSettings
from chaos.measure.baseline import Baseline
from chaos.measure.dataloss import WriteLog
from chaos.measure.endpoints import Endpoints
from chaos.measure.metrics import RequestCounts
from chaos.measure.steady import SteadyState
from chaos.measure.timeline import Clock, Timeline
from chaos.recover.backups import Backups
from chaos.recover.runbook import run_steps
from chaos.safety.abort import AbortWatch

TICK = 0.1
SAMPLE_EVERY = 1.0


class TrialContext:
    """What faults, detectors and steps of one trial may use."""

    def __init__(self, scenario: Any, lab: Lab | None, clock: Clock, timeline: Timeline,
                 backups: Backups | None, app_url: str, db_dsn: str, workdir: Path) -> None:
        self.scenario, self.lab, self.clock, self.timeline = scenario, lab, clock, timeline
        self.backups, self.app_url, self.workdir = backups, app_url, workdir
        self._db_dsn, self._db_dsn_read = db_dsn, time.monotonic()

    @property
    def db_dsn(self) -> str:
        # A restarted database container gets a new published port from Docker
        # (kill, restart), so the address is looked up again, at most once a second.
        if self.lab is not None and time.monotonic() - self._db_dsn_read > 1.0:
            try:
                self._db_dsn = self.lab.db_dsn
            except Exception:  # container gone or stopped: keep the last address
                pass
            self._db_dsn_read = time.monotonic()
        return self._db_dsn


@dataclass
class TrialState:
    counts: RequestCounts = field(default_factory=RequestCounts)
    writes: WriteLog = field(default_factory=WriteLog)
    endpoints: Endpoints = field(default_factory=Endpoints)
    baseline: Baseline = field(default_factory=Baseline)
    baseline_error: str | None = None    # why the steady state did not hold before the fault
    t_fault: float | None = None
    steady: SteadyState | None = None
    end_reason: str | None = None
    recovery_thread: threading.Thread | None = None
    recovery_error: str | None = None
    fault_errors: list[str] = field(default_factory=list)


class Worker(threading.Thread):
    """A thread that keeps the exception of the work it ran."""

    def __init__(self, name: str, work: Callable[[], None]) -> None:
        super().__init__(name=name, daemon=True)
        self.work = work
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as exc:  # reported by whoever joins us
            self.error = exc


class Trial:
    def __init__(self, ctx: TrialContext, on_tick: Callable[["Trial"], None] | None = None) -> None:
        self.ctx = ctx
        self.sc = ctx.scenario
        self.state = TrialState()
        self.on_tick = on_tick
        self.faults = [build_fault(spec, ctx) for spec in self.sc.faults]
        for fault in self.faults:
            fault.check()   # a fault that cannot run here fails now, before any load
        self.fault_state = ["scheduled"] * len(self.faults)   # -> injecting, active, done
        self.fault_threads: dict[int, Worker] = {}
        self.detectors = build_detectors(self.sc.detect, ctx)
        self._recorded_firing: dict[str, float] = {}
        self.abort = AbortWatch(getattr(self.sc, "abort_if", []))
        self.load = LoadRunner(ctx.app_url, load_settings(self.sc), ctx.workdir)
        self._bucket = {"n": 0, "failed": 0, "lat": []}
        self._next_sample = SAMPLE_EVERY
        self._next_backup = 0.0 if self.sc.backups else None
        self._backup_thread: Worker | None = None
        self._backup_no = 0
        self.end_requested = False   # a facilitator ended the trial (chaos.live.controls)
        self.confirmed = False       # the steady state confirmed the recovery

    # ---- the loop ---------------------------------------------------------

    def run(self) -> TrialState:
        tl = self.ctx.timeline
        tl.add("trial_started", scenario=self.sc.name)
        self.load.start()
        if self.ctx.lab is not None:
            record_load_pids(self.ctx.lab, self.load.pids())
        tl.add("load_started", users=self.sc.load.users)
        for d in self.detectors:
            d.start()
        try:
            while self.state.end_reason is None:
                self.step(self.ctx.clock.now())
                if self.on_tick:
                    self.on_tick(self)
                time.sleep(TICK)
        finally:
            self.finish()
        return self.state

    def step(self, now: float) -> None:
        self.read_observations()
        self.sample(now)
        self.backup_if_due(now)
        self.faults_due(now)
        self.check_detectors(now)
        self.recovery_if_due(now)
        self.check_end(now)
        self.check_abort(now)

    def read_observations(self) -> None:
        clock, st = self.ctx.clock, self.state
        for obs in self.load.poll():
            end, start = clock.from_wall(obs.end), clock.from_wall(obs.start)
            latency = obs.end - obs.start
            st.counts.add(end, obs.ok, st.t_fault)
            st.writes.add(obs, end, start)
            st.endpoints.add(obs.name, end, obs.ok, obs.status, st.t_fault)
            if st.t_fault is None:
                st.baseline.add(end, obs.ok, obs.name, obs.status)
            for d in self.detectors:
                d.observe(end, obs.ok, latency)
            if st.steady is not None:
                st.steady.add(end, obs.ok)
            self.abort.observe(end, obs.ok)
            self._bucket["n"] += 1
            self._bucket["failed"] += 0 if obs.ok else 1
            self._bucket["lat"].append(latency)

    def sample(self, now: float) -> None:
        if now < self._next_sample:
            return
        b = self._bucket
        lat = sorted(b["lat"])
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))] if lat else None
        self.ctx.timeline.sample(t=round(now, 2), requests=b["n"], failed=b["failed"],
                                 p95_ms=round(p95 * 1000, 1) if p95 is not None else None)
        self.last_sample = {"rps": b["n"] / SAMPLE_EVERY,
                            "error_ratio": b["failed"] / b["n"] if b["n"] else 0.0}
        self._bucket = {"n": 0, "failed": 0, "lat": []}
        self._next_sample = now + SAMPLE_EVERY

    # ---- backups ----------------------------------------------------------

    def backup_if_due(self, now: float) -> None:
        if self._next_backup is None or now < self._next_backup:
            return
        if self._backup_thread is not None and self._backup_thread.is_alive():
            return  # the previous dump is still running: skip, as cron would overlap-guard
        self._backup_no += 1
        number = self._backup_no
        tl = self.ctx.timeline

        def take() -> None:
            b = self.ctx.backups.take(number, self.ctx.clock)
            tl.add("backup_taken", t=b.done_t, number=number, snapshot_t=round(b.started_t, 3),
                   took_s=round(b.done_t - b.started_t, 3))

        self._backup_thread = Worker(f"backup-{number}", take)
        self._backup_thread.start()
        self._next_backup = now + self.sc.backups.every

    # ---- faults -----------------------------------------------------------

    def faults_due(self, now: float) -> None:
        tl = self.ctx.timeline
        for i, fault in enumerate(self.faults):
            spec, state = fault.spec, self.fault_state[i]
            if state == "scheduled" and now >= spec.at:
                t = self.ctx.clock.now()
                if self.state.t_fault is None and not self.baseline_holds(t):
                    return
                self.fault_state[i] = "injecting"
                if self.state.t_fault is None:
                    self.check_detectors(t)   # record a pre-fault alarm before forgetting it
                    self.state.t_fault = t
                    below = self.sc.steady_state.error_rate.below
                    hold = self.sc.steady_state.error_rate.for_
                    self.state.steady = SteadyState(below, hold, since=t)
                    for d in self.detectors:
                        d.reset(t)   # a false alarm before the fault stays on record, forgotten
                tl.add("fault_injected", t=t, fault=spec.type, index=i)
                worker = Worker(f"fault-{i}", fault.inject)
                self.fault_threads[i] = worker
                worker.start()
            elif state == "injecting" and not self.fault_threads[i].is_alive():
                err = self.fault_threads[i].error
                detail = dict(fault.detail)
                if err is not None:
                    detail["error"] = f"{type(err).__name__}: {err}"
                    self.state.fault_errors.append(detail["error"])
                tl.add("fault_applied", fault=spec.type, index=i, **detail)
                self.fault_state[i] = "done" if fault.instant or err else "active"
                if fault.instant or err:
                    self.revert(i)
            elif state == "active" and spec.duration is not None and now >= spec.at + spec.duration:
                self.revert(i)
                self.fault_state[i] = "done"

    def baseline_holds(self, t: float) -> bool:
        """Before the first injection: was the steady state holding? If not, end the
        trial with nothing injected (there is nothing to revert)."""
        sc = self.sc
        window = sc.baseline.window(min(f.at for f in sc.faults))
        why = self.state.baseline.verdict(t, window, sc.steady_state.error_rate.below)
        if why is None:
            self.ctx.timeline.add("baseline_held", t=t, window_s=window)
            return True
        self.state.baseline_error = why
        self.ctx.timeline.add("baseline_failed", t=t, reason=why)
        self.state.end_reason = "baseline_failed"
        return False

    def revert(self, i: int) -> None:
        fault = self.faults[i]
        try:
            fault.revert()
        except Exception as exc:
            self.ctx.timeline.add("fault_revert_failed", fault=fault.spec.type, index=i,
                                  error=f"{type(exc).__name__}: {exc}")
            raise
        if not fault.instant:
            self.ctx.timeline.add("fault_reverted", fault=fault.spec.type, index=i)

    def faults_over(self) -> bool:
        return all(s == "done" for s in self.fault_state)

    # ---- detection and recovery ---------------------------------------------

    def check_detectors(self, now: float) -> None:
        # fired_at may already be set when we look (rules fire in event time
        # while observations are read; probes fire on their own threads), so
        # each firing is recorded once by its instant, not by a None -> set edge.
        for d in self.detectors:
            fired = d.check(now)
            if fired is not None and self._recorded_firing.get(d.name) != fired:
                self._recorded_firing[d.name] = fired
                self.ctx.timeline.add("detector_fired", t=fired, name=d.name,
                                      detector=d.type_name)

    def first_detection(self) -> float | None:
        fired = [d.fired_at for d in self.detectors if d.fired_at is not None]
        after = [t for t in fired if self.state.t_fault is not None and t >= self.state.t_fault]
        return min(after) if after else None

    def recovery_if_due(self, now: float) -> None:
        rec = self.sc.recovery
        if self.state.recovery_thread is not None or self.state.t_fault is None:
            return
        if rec.trigger == "on_detect":
            detected = self.first_detection()
            due = detected is not None and now >= detected + rec.delay
        elif rec.trigger == "at":
            due = now >= rec.at
        else:
            due = False
        if not due:
            return
        tl = self.ctx.timeline
        tl.add("recovery_started", trigger=rec.trigger, steps=len(rec.steps))

        def work() -> None:
            try:
                run_steps(rec.steps, self.ctx, self.state.t_fault)
                tl.add("recovery_finished")
            except Exception as exc:
                self.state.recovery_error = f"{type(exc).__name__}: {exc}"
                tl.add("recovery_failed", error=self.state.recovery_error)

        self.state.recovery_thread = threading.Thread(target=work, name="recovery", daemon=True)
        self.state.recovery_thread.start()

    @property
    def manual(self) -> bool:
        """A game day: people recover, and the facilitator says when the exercise is over."""
        return self.sc.recovery.trigger == "manual"

    def check_end(self, now: float) -> None:
        st, tl = self.state, self.ctx.timeline
        if st.end_reason is not None:   # the baseline failed: nothing more to judge
            return
        if self.end_requested or now >= self.sc.time_limit:
            no_impact = self.manual and st.counts.failed_after_fault == 0 and self.faults_over() \
                and st.steady is not None and st.steady.held_until() is not None
            st.end_reason = ("recovered" if self.confirmed else "no_impact" if no_impact
                             else "ended_early" if self.end_requested else "time_limit")
            return
        if st.steady is None:
            return
        held = st.steady.held_until()
        recovering = st.recovery_thread is not None and st.recovery_thread.is_alive()
        if held is None or recovering or not self.faults_over():
            return
        if st.counts.failed_after_fault == 0:
            if not self.manual:
                st.end_reason = "no_impact"
            return
        if not self.confirmed:
            self.confirmed = True
            tl.add("mitigated", t=st.steady.since)
            tl.add("recovered", t=held)
        if not self.manual:   # on a game day the trial goes on until the facilitator ends it
            st.end_reason = "recovered"

    def check_abort(self, now: float) -> None:
        """A scenario's ``abort_if`` stop condition ends the trial; ``finish`` reverts."""
        if self.state.end_reason is not None:
            return
        reason = self.abort.check(now, failed=self.state.counts.failed)
        if reason is not None:
            self.ctx.timeline.add("abort_condition", reason=reason)
            self.state.end_reason = f"aborted: {reason}"

    @property
    def aborted(self) -> bool:
        return (self.state.end_reason or "").startswith("aborted:")

    def always_steps(self) -> None:
        """After a stop condition: the recovery steps marked ``always``, if recovery never ran."""
        steps = [(i, s) for i, s in enumerate(self.sc.recovery.steps)
                 if getattr(s, "always", False)]
        if not self.aborted or not steps or self.state.recovery_thread is not None:
            return
        tl = self.ctx.timeline
        tl.add("recovery_started", trigger="abort", steps=len(steps))
        try:
            for index, spec in steps:  # each keeps its runbook index on the timeline
                run_steps([spec], self.ctx, self.state.t_fault, first=index)
            tl.add("recovery_finished")
        except Exception as exc:  # recorded; the trial is already aborted
            self.state.recovery_error = f"{type(exc).__name__}: {exc}"
            tl.add("recovery_failed", error=self.state.recovery_error)

    # ---- always -----------------------------------------------------------

    def finish(self) -> None:
        """Stop load and probes and revert every fault, whatever happened."""
        errors = []
        for i, state in enumerate(self.fault_state):
            if state in ("injecting", "active"):
                worker = self.fault_threads.get(i)
                if worker is not None:
                    worker.join(timeout=30)
                try:
                    self.revert(i)
                except Exception as exc:
                    errors.append(exc)
                self.fault_state[i] = "done"
        for i, fault in enumerate(self.faults):
            if i in self.fault_threads:
                try:
                    fault.cleanup()
                except Exception as exc:
                    self.ctx.timeline.add("fault_cleanup_failed", fault=fault.spec.type, index=i,
                                          error=f"{type(exc).__name__}: {exc}")
                    errors.append(exc)
        self.always_steps()   # faults are reverted by now
        self.load.stop()
        self.read_observations()
        for d in self.detectors:
            d.stop()
        if self.state.recovery_thread is not None:
            self.state.recovery_thread.join(timeout=60)
        if self._backup_thread is not None:
            self._backup_thread.join(timeout=60)
        self.ctx.timeline.add("trial_ended", reason=self.state.end_reason or "aborted")
        if errors:
            raise errors[0]


def load_settings(sc: Any) -> LoadSettings:
    load = sc.load
    low, high = load.wait if load.wait else (0.05, 0.2)
    return LoadSettings(locustfile=str(load.locustfile) if load.locustfile else None,
                        requests=tuple(r.as_locust() for r in load.requests or ()),
                        users=load.users, spawn_rate=load.spawn_rate, wait_min=low,
                        wait_max=high, request_timeout=load.request_timeout,
                        run_time_s=sc.time_limit + 60, workers=load.workers)
