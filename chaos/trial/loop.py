"""One trial: fault → detect → recover, measured on one clock.

    trial = Trial(ctx, on_tick=display.tick)
    state = trial.run()           # TrialState: what was measured, and why it ended
    trial.status()                # a frozen TrialStatus, for whoever shows the trial

The loop polls every ``TICK`` seconds: it reads new request observations, feeds
detectors, the baseline and the steady-state tracker, and hands the clock to
the parts that act on it — the sampler, the backup and fault schedules, the
recovery — then asks the end policy whether the trial is over. Slow work (an
injection, a backup, the runbook) runs on worker threads so that detection
timing never waits behind it. Every fault is reverted in ``finish``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chaos.build import build
from chaos.lab.feature import TrialTools, TrialWorker
from chaos.lab.loadprocs import load_env
from chaos.load.runner import LoadRunner, LoadSettings, RemoteLoad
from chaos.measure.eventkinds import Kind
from chaos.trial.context import TrialContext
from chaos.trial.ending import EndPolicy
from chaos.trial.faultschedule import FaultSchedule
from chaos.trial.indicatorwatch import IndicatorWatch
from chaos.trial.recovery import Recovery
from chaos.trial.schedules import BackupSchedule, Sampler
from chaos.trial.state import TrialState
from chaos.trial.status import FaultView, IndicatorView, TrialStatus

if TYPE_CHECKING:
    from chaos.scenario import Scenario

TICK = 0.1


class Trial:
    def __init__(self, ctx: TrialContext, on_tick: Callable[[Trial], None] | None = None,
                 phase_s: float = 0.0) -> None:
        self.ctx = ctx
        self.sc = ctx.scenario
        self.state = TrialState()
        self.on_tick = on_tick
        faults = [build("fault", spec, ctx) for spec in self.sc.faults]
        for fault in faults:
            fault.check()   # a fault that cannot run here fails now, before any load
        self.faults = FaultSchedule(faults, ctx)
        self.faults.offset = phase_s      # a random phase against the scrape ticks (run.py)
        self.detectors = [build("detector", spec, ctx) for spec in self.sc.detect]
        self.watch = IndicatorWatch(self.sc, ctx, on_impact=self._impact)
        self._recorded_firing: dict[str, float] = {}
        self.recovery = Recovery(self.sc.recovery, ctx, self.state)
        self.recovery.offset = phase_s
        self.ending = EndPolicy(self.sc, ctx, self.state, manual=self.recovery.manual)
        self.ending.time_limit += phase_s   # the trial keeps its whole time after the fault
        self.sampler = Sampler(ctx.timeline)
        self.backups = BackupSchedule(self.sc.backups.every if self.sc.backups else None, ctx)
        self.lab_workers = lab_workers(ctx)   # the lab's features' (base backup, lag...)
        self.load = LoadRunner(ctx.app_url, load_settings(self.sc), ctx.workdir,
                               env=load_env(ctx.lab.id) if ctx.lab is not None else None)

    # ---- what others may ask of a trial -------------------------------------

    def status(self) -> TrialStatus:
        st, last = self.state, self.sampler.last
        marked = any(e["kind"] == "mark" and e.get("mark") == "detected"
                     for e in self.ctx.timeline.events)
        return TrialStatus(
            now=self.ctx.clock.now(), time_limit=self.sc.time_limit, t_fault=st.t_fault,
            detected_at=self.first_detection(), marked_detected=marked,
            recovery_started=self.recovery.started, recovering=self.recovery.running,
            confirmed=self.ending.confirmed, end_reason=st.end_reason,
            faults=tuple(FaultView(*f) for f in self.faults.view()),
            rps=last.rps, error_ratio=last.error_ratio, total=st.counts.total,
            failed=st.counts.failed, last_failure_t=st.counts.last_failure_t,
            last_answer_t=st.steady.latest if st.steady is not None else None,
            manual=self.recovery.manual, outside=tuple(self.watch.state.outside()),
            indicators=tuple(IndicatorView(i.name, i.objective, i.last_value(), i.since is not None)
                             for i in self.watch.state.indicators))

    def request_end(self) -> None:
        """A facilitator ends the trial (game day); faults are reverted as always."""
        self.ending.request_end()

    def abort(self, reason: str) -> None:
        self.ending.abort(reason)

    def inject_now(self, index: int) -> None:
        """Inject fault ``index`` now, whatever its ``at`` (a game day's facilitator)."""
        self.faults.bring_forward(index, self.ctx.clock.now())

    def run_step_by_hand(self, index: int, work: Callable[[], None]) -> None:
        """Start runbook step ``index`` (a person's choice on a game day) on its own thread;
        ``RecoveryBusy`` while another runs. The trial waits for it as for any runbook."""
        self.recovery.run_by_hand(f"step-{index}", work)

    @property
    def aborted(self) -> bool:
        return self.state.aborted

    def first_detection(self) -> float | None:
        t_fault = self.state.t_fault
        fired = [d.fired_at for d in self.detectors if d.fired_at is not None]
        after = [t for t in fired if t_fault is not None and t >= t_fault]
        return min(after) if after else None

    # ---- the loop ---------------------------------------------------------

    def run(self) -> TrialState:
        tl = self.ctx.timeline
        tl.add(Kind.TRIAL_STARTED, scenario=self.sc.name)
        self.load.start()
        if self.ctx.lab is not None:
            self.ctx.lab.record_load(self.load.pids())
        where: dict[str, Any] = {"master": self.load.master_address} if self.load.master else {}
        tl.add(Kind.LOAD_STARTED, users=self.sc.load.users, **where)
        self._wait_for_workers()
        for worker in self.lab_workers:
            worker.start()
        for d in self.detectors:
            d.start()
        self.watch.start()
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
        self.watch.drain()
        self.watch.state.advance(now)
        self.sampler.due(now)
        self.backups.due(now)
        self.faults.due(now, first=self._first_injection)
        if self.state.steady is not None and self.faults.applied_at is not None:
            self.state.steady.not_before(self.faults.applied_at)
        self.check_detectors(now)
        self.recovery.due(now, self.first_detection())
        self.ending.check(now, faults_over=self.faults.over(), recovering=self.recovery.running)

    def _wait_for_workers(self) -> None:
        """Distributed load starts once every worker joined: the faults, the recovery and
        the time limit move by that wait, so the baseline before the fault has its load."""
        try:
            waited = self.load.wait_ready()
        finally:
            self._host_events()     # who joined, even when some did not
        self.faults.offset += waited
        self.recovery.offset += waited
        self.ending.time_limit += waited

    def _host_events(self) -> None:
        clock, tl = self.ctx.clock, self.ctx.timeline
        for ev in self.load.hosts.take_events():
            name = ev.get("w", "?")
            if ev["ev"] == "host" and name != "local":
                tl.add(Kind.LOAD_HOST_JOINED, host=name, address=ev.get("addr"),
                       offset_s=ev.get("offset"), uncertainty_s=ev.get("unc"))
            elif ev["ev"] == "lost":
                last = clock.from_wall(ev["last"]) if ev.get("last") is not None else None
                tl.add(Kind.LOAD_HOST_LOST, t=last, host=name, last_t=last,
                       in_flight=ev.get("in_flight"), unknown_writes=ev.get("unknown_writes"))
                remote = self.sc.load.remote
                if remote is not None and remote.on_lost == "stop":
                    self.abort(f"load host {name} lost")

    def read_observations(self) -> None:
        clock, st = self.ctx.clock, self.state
        observations = self.load.poll()
        self._host_events()
        for obs in observations:
            end, start = clock.from_wall(obs.end), clock.from_wall(obs.start)
            if obs.orphan:      # its load host vanished: a write of unknown outcome, no answer
                st.writes.add(obs, end, start)
                continue
            latency = obs.end - obs.start
            st.counts.add(end, obs.ok, st.t_fault)
            st.writes.add(obs, end, start)
            st.endpoints.add(obs.name, end, obs.ok, obs.status, st.t_fault)
            if st.t_fault is None:
                st.baseline.add(end, obs.ok, obs.name, obs.status)
            for d in self.detectors:
                d.observe(end, obs.ok, latency)
            self.watch.state.add(end, obs.ok, latency, obs.name)
            self.ending.observe(end, obs.ok)
            self.sampler.add(obs.ok, latency)

    def _first_injection(self, t: float) -> bool:
        """Just before the first fault: the baseline must hold; then the fault's instant
        becomes the trial's origin and every detector starts afresh."""
        if not self._baseline_holds(t):
            return False
        self.check_detectors(t)   # record a pre-fault alarm before forgetting it
        st = self.state
        st.t_fault = t
        self.watch.state.arm(t)
        st.steady = self.watch.state
        for d in self.detectors:
            d.reset(t)   # a false alarm before the fault stays on record, forgotten
        return True

    def _baseline_holds(self, t: float) -> bool:
        sc = self.sc
        window = sc.baseline.window(min(f.at for f in sc.faults))
        why = self.state.baseline.verdict(t, window, sc.steady_state.error_rate.below)
        if why is None:   # every indicator, not only the error ratio, must hold first
            self.watch.drain()
            why = self.watch.state.baseline(t, window)
        if why is None:
            self.ctx.timeline.add(Kind.BASELINE_HELD, t=t, window_s=window)
            return True
        self.state.baseline_error = why
        self.ctx.timeline.add(Kind.BASELINE_FAILED, t=t, reason=why)
        self.state.end_reason = "baseline_failed"
        return False

    def _impact(self, ind: Any, t: float, value: float | None) -> None:
        self.ctx.timeline.add(Kind.IMPACT, t=t, indicator=ind.name, type=ind.kind,
                              objective=ind.objective,
                              value=None if value is None else round(value, 6))

    def check_detectors(self, now: float) -> None:
        # fired_at may already be set when we look (rules fire in event time
        # while observations are read; probes fire on their own threads), so
        # each firing is recorded once by its instant, not by a None -> set edge.
        for d in self.detectors:
            fired = d.check(now)
            if fired is not None and self._recorded_firing.get(d.name) != fired:
                self._recorded_firing[d.name] = fired
                self.ctx.timeline.add(Kind.DETECTOR_FIRED, t=fired, name=d.name,
                                      detector=d.type_name)

    # ---- always -----------------------------------------------------------

    def finish(self) -> None:
        """Stop load and probes and revert every fault, whatever happened."""
        errors = self.faults.finish()
        self.state.fault_errors.extend(self.faults.errors)
        self.recovery.always_steps()   # faults are reverted by now
        self.load.stop()
        self.read_observations()
        self.watch.stop()
        for d in self.detectors:
            d.stop()
        self.recovery.join()
        for worker in self.lab_workers:
            worker.stop()
        self.backups.join()
        self.ctx.timeline.add(Kind.TRIAL_ENDED, reason=self.state.end_reason or "aborted")
        if errors:
            raise errors[0]


def lab_workers(ctx: TrialContext) -> list[TrialWorker]:
    """What the lab's features do during a trial, on their own threads."""
    lab = ctx.lab
    if lab is None:
        return []
    tools = TrialTools(timeline=ctx.timeline, clock=ctx.clock, db_dsn=lambda: ctx.db_dsn)
    return [w for f in lab.spec.features if (w := f.trial_worker(lab, tools)) is not None]


def load_settings(sc: Scenario) -> LoadSettings:
    load = sc.load
    low, high = load.wait if load.wait else (0.05, 0.2)
    return LoadSettings(locustfile=str(load.locustfile) if load.locustfile else None,
                        requests=tuple(r.as_locust() for r in load.requests or ()),
                        users=load.users, spawn_rate=load.spawn_rate, wait_min=low,
                        wait_max=high, request_timeout=load.request_timeout,
                        run_time_s=sc.time_limit + 60, workers=load.workers,
                        remote=remote_load(load.remote))


def remote_load(remote: Any) -> RemoteLoad | None:
    if remote is None:
        return None
    host, port = remote.host_port
    names = tuple(remote.workers) if isinstance(remote.workers, list) else ()
    count = remote.workers if isinstance(remote.workers, int) else len(names)
    return RemoteLoad(bind=host, port=port, expect=names, count=count,
                      join_timeout=remote.join_timeout, app_url=remote.app_url)
