"""A rehearsal: one lab, one trial per boundary, the database reset between them.

    result = rehearse(Path("migrations/0042.sql"), Path("scenario.yaml"), RehearseOptions())
    result.passed             # every boundary passed (rehearsal.json: result.as_dict())

Each boundary is a trial of an ordinary ``chaos run`` (``chaos.run``): the lab comes
up once, the golden snapshot taken at its start is restored between trials, and
the run record (result.json, timeline.jsonl, report.html) is kept as for any run.
Once a boundary's trial is recorded, and before the reset, the rehearsal reads the
requests of its trial and the schema the recovery left (``pg_dump --schema-only``
in the database container), and writes ``rehearsal.json`` — after every boundary,
so an interrupted rehearsal keeps the boundaries it finished.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chaos.atomic import write_json
from chaos.errors import LabError, ReportError, UsageError
from chaos.faults.sqlunits import load_units
from chaos.lab.lab import Lab
from chaos.lab.postgres.dbexec import db_exec
from chaos.measure.observation import OBS_FILE, read_observations
from chaos.record import (
    BoundaryRecord,
    RehearsalRecord,
    RehearsalStatus,
    TrialRecord,
    load_result,
)
from chaos.rehearse.judgement import boundary_record, exit_code
from chaos.rehearse.outcome import measure
from chaos.rehearse.plan import AfterStop, Boundary, Timing, boundaries, overrides
from chaos.rehearse.schemadiff import differences
from chaos.run import RunOptions, render_reports, run_scenario
from chaos.scenario import Scenario, load_scenario

DUMP = ["pg_dump", "--schema-only", "--no-owner", "--no-privileges"]


@dataclass
class RehearseOptions:
    recovery: AfterStop = field(default_factory=lambda: AfterStop("rerun"))
    timing: Timing = field(default_factory=Timing)
    max_error_ratio: float | None = None    # default: the scenario's steady-state error rate
    out: Path | None = None
    overrides: tuple[str, ...] = ()
    keep_observations: bool = False
    log: Callable[[str], None] = print
    on_start: Callable[[Path], None] | None = None   # told the run directory once it is made


class _Rehearsal:
    def __init__(self, script: Path, bounds: list[Boundary], threshold: float,
                 opts: RehearseOptions) -> None:
        self.script, self.bounds, self.threshold, self.opts = script, bounds, threshold, opts
        self.clean_dump: str | None = None
        self.rows: list[BoundaryRecord] = []
        self.out: Path | None = None

    def document(self, status: RehearsalStatus) -> RehearsalRecord:
        return RehearsalRecord(
            script=str(self.script), units=self.bounds[0].of,
            recovery=self.opts.recovery.describe(), hold_s=self.opts.timing.hold,
            max_error_ratio=self.threshold, status=status, boundaries=list(self.rows),
            passed=status == "completed" and exit_code(self.rows) == 0)

    def started(self, out: Path, tell: Callable[[Path], None] | None) -> None:
        self.out = out
        write_json(out / "rehearsal.json", self.document("running").as_dict())
        if tell is not None:
            tell(out)

    def after_trial(self, n: int, lab: Lab, trial: TrialRecord, out: Path) -> None:
        self.out = out
        boundary = self.bounds[n - 1]
        obs_dir = out / f"trial-{n}" / "observations"
        outcome = measure(boundary, trial, read_observations(obs_dir / OBS_FILE),
                          self.opts.timing.hold)
        try:
            dump = db_exec(lab, DUMP, "the schema dump")
        except LabError as exc:
            dump = None
            outcome.notes.append(f"not measured: the schema could not be read ({exc})")
        if boundary.clean:
            self.clean_dump = dump
        elif dump is not None and self.clean_dump is not None:
            outcome.schema_diff = differences(self.clean_dump, dump)
            outcome.converged = not outcome.schema_diff
        row = boundary_record(outcome, self.threshold)
        self.rows.append(row)
        write_json(out / "rehearsal.json", self.document("running").as_dict())
        verdict = "ok" if row.passed else "FAIL: " + "; ".join(row.reasons)[:300]
        self.opts.log(f"boundary {boundary.describe()}: {verdict}")
        if not self.opts.keep_observations:
            shutil.rmtree(obs_dir, ignore_errors=True)


def rehearse(script: Path, scenario_path: Path, opts: RehearseOptions) -> RehearsalRecord:
    units = load_units(script)   # a script that cannot be cut: exit 2, before any lab
    if opts.recovery.kind == "script" and opts.recovery.script is not None:
        load_units(opts.recovery.script)
    bounds = boundaries(len(units))
    variants = [load_scenario(scenario_path, overrides=(
        *opts.overrides, *overrides(b, script.resolve(), opts.recovery, opts.timing)))
        for b in bounds]
    first = variants[0]
    if opts.recovery.kind == "steps" and not variants[1].recovery.steps:
        raise UsageError(f"--recovery steps: {scenario_path} has no recovery steps")
    threshold = (opts.max_error_ratio if opts.max_error_ratio is not None
                 else _steady_ratio(first))
    state = _Rehearsal(script, bounds, threshold, opts)
    run_opts = RunOptions(
        trials=len(bounds), out=opts.out, keep_observations=True, live=False,
        random_phase=False, log=opts.log,
        overrides=(*opts.overrides, *overrides(bounds[0], script.resolve(), opts.recovery,
                                                opts.timing)),
        trial_scenario=lambda n: variants[n - 1], after_trial=state.after_trial,
        on_start=lambda out: state.started(out, opts.on_start))
    status: RehearsalStatus = "aborted"
    try:
        record = run_scenario(scenario_path, run_opts)
        status = "completed" if record.status == "completed" else "aborted"
        if status == "completed" and len(state.rows) != len(bounds):
            status = "aborted"
    finally:
        if state.out is not None:
            _finish(state.out, state.document(status), opts.log)
    return state.document(status)


def _finish(out: Path, doc: RehearsalRecord, log: Callable[[str], None]) -> None:
    """rehearsal.json final, the matrix in result.json too, the reports drawn again."""
    write_json(out / "rehearsal.json", doc.as_dict())
    try:
        record = load_result(out / "result.json")
    except ReportError as exc:   # the run record itself is damaged: rehearsal.json stands
        log(f"result.json not updated with the rehearsal: {exc}")
        return
    record.rehearsal = doc
    write_json(out / "result.json", record.as_dict())
    render_reports(out, log)


def _steady_ratio(scenario: Scenario) -> float:
    return float(scenario.steady_state.error_rate.below)
