"""A run: one scenario, a lab, one or more trials, and the run record.

    record = run_scenario("scenarios/half-applied-update.yaml", RunOptions())
    record.passed         # every trial completed, met every target, every invariant held

The record (result.json + timeline.jsonl in the run directory) is written as
the run goes, atomically, so that an interrupted run still leaves a readable
result marked ``aborted`` with every event recorded up to then. Reports are
rendered from the record afterwards. Its shape is ``chaos.record``: the run
builds it from those models, which check every field as it is set.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chaos import __version__
from chaos.atomic import exclusive_dir, write_json
from chaos.errors import BaselineError, UsageError
from chaos.lab.lab import Lab
from chaos.lab.labspec import lab_spec
from chaos.lab.observability.amcheck import config_problems
from chaos.lab.observability.promtool import rule_file_problems
from chaos.lab.start import start_lab
from chaos.live import ServeOptions, as_gameday, open_live
from chaos.live.blind import blind_trial
from chaos.load.runner import stray_locust_config
from chaos.measure.summary import run_targets, summarize
from chaos.measure.timeline import Clock
from chaos.provenance import git_commit
from chaos.record import (
    SCHEMA_VERSION,
    FaultRecord,
    LabRecord,
    RunRecord,
    ScenarioRecord,
    TargetResult,
    ToolRecord,
    TrialRecord,
)
from chaos.recover.backups import BackupStore
from chaos.recover.reset import reset_database
from chaos.redact import register_secret
from chaos.runtrial import MAX_DURATION, run_trial, trial_phase
from chaos.scenario import Scenario, load_scenario
from chaos.signals import Interrupted, interruptible, shielded


@dataclass
class RunOptions:
    trials: int = 1
    out: Path | None = None
    label: str | None = None
    keep_observations: bool = False
    keep_lab: bool = False          # leave the lab up afterwards, for inspection
    max_duration: float | None = None   # seconds for the whole run (lab start included)
    gameday: bool = False           # people recover: recovery trigger becomes `manual`
    live: bool = True               # serve the live page on 127.0.0.1 while the run goes
    serve: ServeOptions = ServeOptions()   # or elsewhere (--listen), over TLS
    overrides: tuple[str, ...] = ()   # `--set path.to.key=value`, applied before validation
    log: Callable[[str], None] = print
    on_start: Callable[[Path], None] | None = None   # told the run directory once it is made
    seed: int | None = None         # of each trial's random phase (default: from the run id)
    random_phase: bool = True       # offset faults by a random phase (with observe.prometheus)
    # `chaos rehearse`: each trial its own variant of the scenario, and a look at the lab
    # once each trial is recorded (before the database is reset for the next one).
    trial_scenario: Callable[[int], Scenario] | None = None
    after_trial: Callable[[int, Lab, TrialRecord, Path], None] | None = None


def run_dir(scenario: Scenario, path: Path, out: Path | None) -> tuple[str, Path]:
    """The run's id and its directory, made now; where it cannot be, exit 2 (never 3)."""
    where = out if out is not None else Path("reports")
    try:
        if out is None:  # never share a directory with a run started the same second
            made = exclusive_dir(where, lambda: new_run_id(scenario, path))
            return made.name, made
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"--out {where}: a file is in the way (the run needs a directory "
                         "there)") from None
    except OSError as exc:   # read-only file system, permission, /proc, name too long
        what = f"--out {where}" if out is not None else f"{where.resolve()}/ (the default)"
        raise UsageError(f"cannot create the run directory {what}: {exc.strerror or exc}; "
                         "choose a writable --out") from None
    return new_run_id(scenario, path), out


def new_run_id(scenario: Scenario, path: Path) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{path.stem[:40]}-{secrets.token_hex(2)}"


def blind_seed(opts: RunOptions, run_id: str) -> int:
    """The seed of a blind game day's choices: --seed, else from the run id (recorded)."""
    if opts.seed is not None:
        return opts.seed
    return int(hashlib.sha256(f"blind:{run_id}".encode()).hexdigest()[:12], 16)


def run_scenario(path: str | Path, opts: RunOptions) -> RunRecord:
    path = Path(path)
    deadline = time.monotonic() + opts.max_duration if opts.max_duration else None
    scenario = load_scenario(path, overrides=opts.overrides,   # promtool's, amtool's too
                             rule_check=lambda files: rule_file_problems(files, log=opts.log),
                             config_check=lambda files: config_problems(files, log=opts.log))
    if opts.gameday or scenario.gameday is not None:
        scenario = as_gameday(scenario)
    register_secret(scenario.lab.db_password)
    run_id, out = run_dir(scenario, path, opts.out)
    record = new_record(run_id, scenario, path, opts)
    if opts.random_phase and scenario.observe is not None and scenario.observe.prometheus:
        record.seed = (opts.seed if opts.seed is not None
                       else int(hashlib.sha256(run_id.encode()).hexdigest()[:12], 16))
    try:
        write_json(out / "result.json", record.as_dict())
    except OSError as exc:      # /proc, a full or read-only disk: before any lab starts
        raise UsageError(f"cannot write the run record in {out}: "
                         f"{exc.strerror or exc}; choose another --out") from None
    opts.log(f"run {run_id}: {scenario.name}; writing to {out}")
    for found in stray_locust_config():
        opts.log(f"warning: Locust's own configuration {found} applies to this run's load "
                 "too: what it sets beyond chaos's options changes the load; run chaos "
                 "from another directory, or move it")
    remote = scenario.load.remote
    if remote is not None and not ipaddress.ip_address(remote.host_port[0]).is_loopback:
        opts.log(f"warning: the Locust master will listen on {remote.master}, beyond this "
                 "machine, for load hosts to join: its protocol has no authentication; keep "
                 "it on a private network or behind an SSH tunnel (docs/scaling.md)")
    if opts.on_start is not None:
        opts.on_start(out)
    live = open_live(run_id, scenario, out, opts.log, opts.serve) if opts.live else None
    lab: Lab | None = None
    try:
        with interruptible():
            lab = start_lab(lab_spec(scenario), owner_pid=0 if opts.keep_lab else os.getpid(),
                            log=opts.log)
            record.lab = LabRecord(id=lab.id, project=lab.project)
            write_json(out / "result.json", record.as_dict())
            golden = BackupStore(lab).take(0, Clock(), name="golden") if opts.trials > 1 else None
            if golden is not None and not scenario.lab.health_path:
                opts.log("note: no lab.health_path: after each database reset the app's first "
                         "requests may fail on connections the reset closed, and fail the "
                         "next trial's baseline; name a path that touches the database")
            out_of_time = False
            for n in range(1, opts.trials + 1):
                if deadline is not None and time.monotonic() >= deadline:
                    out_of_time = True
                    break
                if n > 1:
                    for note in lab.between_trials():
                        opts.log(note)
                if golden is not None and n > 1:   # assigned: a field never set is not written
                    record.resets_s = [*record.resets_s,
                                       reset_database(lab, golden, scenario.lab.health_path)]
                record.trials.append(TrialRecord(trial=n, status="running"))
                this = scenario if opts.trial_scenario is None else opts.trial_scenario(n)
                trial_sc, choice = blind_trial(this, blind_seed(opts, run_id), n)
                trial = run_trial(n, trial_sc, lab, out, opts, record, deadline, live, choice,
                                  phase_s=trial_phase(scenario, record.seed, n,
                                                      fixed=not opts.random_phase))
                record.trials[-1] = trial
                write_json(out / "result.json", record.as_dict())
                if opts.after_trial is not None:
                    opts.after_trial(n, lab, trial, out)
                if trial.end_reason == "baseline_failed":
                    raise BaselineError(f"trial {n} stopped before injecting anything: "
                                        f"{trial.baseline_error}")
                if trial.abort_reason == MAX_DURATION:
                    out_of_time = True
                    break
        record.status = "aborted" if out_of_time else "completed"
        if out_of_time:
            record.abort_reason = MAX_DURATION
            opts.log(f"run stopped: --max-duration {opts.max_duration:g}s reached")
    except BaseException as exc:
        record.status = "aborted"
        record.abort_reason = describe(exc)
        if record.trials and record.trials[-1].status == "running":
            record.trials[-1].status = "aborted"
        raise
    finally:
        try:
            with shielded() as shield:
                if live is not None:
                    live.close()
                if lab is not None and not opts.keep_lab:
                    opts.log(f"lab {lab.id}: tearing down")
                    for note in lab.down():
                        opts.log(note)
                elif lab is not None:
                    opts.log(f"lab {lab.id} left up: `chaos lab down {lab.id}` removes it")
                if shield.caught:   # deferred until the lab was down; the run did not finish
                    interrupted_in_teardown(record, shield.name)
                finish_record(record, scenario, out)
                render_reports(out, opts.log)
        except Interrupted as late:   # arrived after the record was finished: say so in it
            if interrupted_in_teardown(record, late.args[0]):
                finish_record(record, scenario, out)
            raise
    return record


def interrupted_in_teardown(record: RunRecord, signame: str) -> bool:
    """A signal deferred while the lab came down: the run ends aborted, exit 130.
    False when the record already says it was interrupted."""
    if "interrupted" in (record.abort_reason or ""):
        return False
    why = f"interrupted ({signame}, during teardown)"
    record.abort_reason = f"{record.abort_reason}; {why}" if record.abort_reason else why
    record.status = "aborted"
    return True


def render_reports(out: Path, log: Callable[[str], None]) -> None:
    from chaos.errors import ChaosError
    from chaos.report import render_all

    try:
        for path in render_all(out):
            log(f"wrote {path}")
    except ChaosError as exc:  # the record is safe on disk; `chaos report` can retry
        log(f"reports not rendered: {exc}")


def describe(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted ({exc.args[0] if exc.args else 'SIGINT'})"
    return f"{type(exc).__name__}: {exc}"


def new_record(run_id: str, scenario: Scenario, path: Path, opts: RunOptions) -> RunRecord:
    return RunRecord(
        schema_version=SCHEMA_VERSION,
        tool=ToolRecord(name="chaos", version=__version__),
        run_id=run_id,
        label=opts.label,
        scenario=ScenarioRecord(
            name=scenario.name, description=scenario.description, file=str(path),
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            git_commit=git_commit(path.parent),
            overrides=list(opts.overrides),   # masked on write (chaos.atomic)
            time_limit_s=scenario.time_limit,
            recovery_trigger=scenario.recovery.trigger,
            faults=[FaultRecord(type=f.type, at_s=f.at, duration_s=f.duration,
                                params=f.params.model_dump(mode="json"))
                    for f in scenario.faults],
            targets=scenario.targets.model_dump(exclude_none=True),
            slo=scenario.slo.model_dump() if scenario.slo else None),
        started=datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        status="running",
        trials=[],
    )


def finish_record(record: RunRecord, scenario: Scenario, out: Path) -> None:
    trials = [t.as_dict() for t in record.trials if t.status in ("completed", "aborted")]
    record.finished = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    record.summary = summarize(trials)
    record.targets = [TargetResult.model_validate(t) for t in
                      run_targets(trials, scenario.targets.model_dump(exclude_none=True))]
    record.passed = (record.status == "completed" and bool(trials)
                     and all(t.get("passed") for t in trials))
    write_json(out / "result.json", record.as_dict())

