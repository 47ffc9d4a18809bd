"""What one boundary did to users, and whether its recovery converged.

Read after the boundary's trial is recorded: the requests the load made (the
trial's observation files), the fault's own event (units applied, their timings
and locks, the invariants read half-applied), the trial's invariants after the
recovery, and the schema the recovery left, against the clean run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chaos.measure.observation import Observation
from chaos.measure.quantiles import quantile
from chaos.record import (
    InvariantResult,
    SeriesRecord,
    StatementRecord,
    TrialRecord,
    WindowRecord,
)
from chaos.rehearse.plan import Boundary

SERVING = ("recovered", "no_impact")   # trial end reasons that mean the steady state held


@dataclass
class Window:
    """The requests that ended between two wall-clock instants."""

    start: float
    end: float
    requests: int = 0
    failed: int = 0
    p99_ms: float | None = None
    failing: dict[str, int] = field(default_factory=dict)   # Locust name -> failures

    @property
    def error_ratio(self) -> float | None:
        return None if self.requests == 0 else self.failed / self.requests

    def record(self) -> WindowRecord:
        ratio = self.error_ratio
        return WindowRecord(
            seconds=round(self.end - self.start, 3), requests=self.requests,
            failed=self.failed, error_ratio=None if ratio is None else round(ratio, 6),
            p99_ms=None if self.p99_ms is None else round(self.p99_ms, 1),
            failing=dict(sorted(self.failing.items(), key=lambda kv: -kv[1])))


def window(observations: list[Observation], start: float, end: float) -> Window:
    w = Window(start, end)
    latencies = []
    for obs in observations:
        if start <= obs.end < end:
            w.requests += 1
            latencies.append((obs.end - obs.start) * 1000)
            if not obs.ok:
                w.failed += 1
                w.failing[obs.name or "?"] = w.failing.get(obs.name or "?", 0) + 1
    w.p99_ms = quantile(sorted(latencies), 0.99) if latencies else None
    return w


def wall(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["wall"]).timestamp()


def first(events: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    return next((e for e in events if e.get("kind") == kind), None)


@dataclass
class Outcome:
    boundary: Boundary
    half: Window | None = None               # while the database sat at the boundary
    before: Window | None = None             # as long, just before the first unit
    fault: dict[str, Any] = field(default_factory=dict)
    recovery: str | None = None              # "done", "failed: …", or None (clean run)
    invariants_after: list[InvariantResult] = field(default_factory=list)
    serving_again: bool | None = None
    end_reason: str | None = None
    converged: bool | None = None
    schema_diff: list[str] = field(default_factory=list)
    statements: list[StatementRecord] = field(default_factory=list)   # the clean run's
    series: SeriesRecord = field(default_factory=SeriesRecord)       # the clean run's
    notes: list[str] = field(default_factory=list)


def measure(boundary: Boundary, trial: TrialRecord, observations: list[Observation],
            hold: float) -> Outcome:
    """Everything but the schema (compared by the caller, who holds the clean dump)."""
    out = Outcome(boundary, end_reason=trial.end_reason)
    events = trial.events
    injected = first(events, "fault_injected")
    if injected is None:
        out.notes.append("not measured: the boundary was never reached "
                         f"(trial ended: {trial.end_reason})")
        return out
    applied = first(events, "fault_applied") or injected   # the fault's detail is there
    out.fault = {k: v for k, v in applied.items()
                 if k in ("applied", "failed_at", "reason", "runs", "invariants", "locks_note",
                          "acknowledgement")}
    runs = out.fault.get("runs") or []
    t0 = runs[0]["start"] if runs else wall(injected)
    started = first(events, "recovery_started")
    t1 = wall(started) if started else t0 + hold
    out.half, out.before = window(observations, t0, t1), window(observations, t0 - hold, t0)
    if boundary.clean:
        out.statements = statement_costs(runs, observations, out.before)
        out.series = series(runs, observations, hold)
    else:
        out.recovery = _recovery(events)
    out.invariants_after = list(trial.invariants)
    out.serving_again = trial.end_reason in SERVING
    return out


def _recovery(events: list[dict[str, Any]]) -> str:
    failed = first(events, "recovery_failed")
    if failed is not None:
        return f"failed: {failed.get('error', '?')}"
    if first(events, "recovery_finished") is not None:
        return "done"
    if first(events, "recovery_started") is not None:
        return "failed: it did not finish before the trial ended"
    return "failed: it never started"


def statement_costs(runs: list[dict[str, Any]], observations: list[Observation],
                    before: Window) -> list[StatementRecord]:
    """Per unit of the clean run: how long, which locks, who waited, what the load saw."""
    rows = []
    for run in runs:
        end = run["start"] + (run.get("duration_s") or 0.0)
        # A unit shorter than a request still overlaps the requests in flight during it.
        during = [o for o in observations if o.start < end and o.end >= run["start"]]
        w = window(during, float("-inf"), float("inf"))
        rows.append(StatementRecord(
            unit=run["unit"], duration_s=run.get("duration_s"), error=run.get("error"),
            locks=run.get("locks", {}), waiting_sessions=run.get("waiting_sessions", 0),
            requests=w.requests, failed=w.failed,
            # no request before the script: "slower than before" is not measured
            slowed=None if before.p99_ms is None else
            sum(1 for o in during if (o.end - o.start) * 1000 > before.p99_ms),
            p99_ms=w.p99_ms, p99_before_ms=before.p99_ms))
    return rows


def series(runs: list[dict[str, Any]], observations: list[Observation], hold: float,
           step: float = 0.5) -> SeriesRecord:
    """The clean run around its units, for the report's chart: per ``step`` seconds the
    requests that ended, the failed ones and the p99 latency; each unit as a band.
    Times are seconds from the first unit's start."""
    if not runs:
        return SeriesRecord()
    t0 = runs[0]["start"]
    last = max(r["start"] + (r.get("duration_s") or 0.0) for r in runs)
    start, end = t0 - hold, last + hold
    rows: list[list[float | None]] = []
    t = start
    while t < end:
        w = window(observations, t, t + step)
        rows.append([round(t - t0, 3), w.requests, w.failed,
                     None if w.p99_ms is None else round(w.p99_ms, 1)])
        t += step
    units = [[round(r["start"] - t0, 4), round(r["start"] - t0 + (r.get("duration_s") or 0.0), 4),
              r["unit"]] for r in runs]
    return SeriesRecord(step_s=step, rows=rows, units=units)
