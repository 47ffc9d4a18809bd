"""A finished (or interrupted) trial as the run record holds it: ``TrialRecord``.

    rec = trial_record(1, trial, timeline, ctx, wall_s=76.0, verify=True, status="completed")

Its metrics from the timeline, per-endpoint counts, lost writes by the scenario's
own query (``verify``: the database is read back), invariants, detectors, and the
targets evaluated on the record as written. It passed when it completed, met every
target and every invariant held (``chaos.record.judged``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from chaos.detect.base import Detector
from chaos.faults.effect import shortfall_notes
from chaos.load.hosts import ACCURACY_GOAL_S
from chaos.measure import metrics as metrics_mod
from chaos.measure.dataloss import account
from chaos.measure.targets import evaluate
from chaos.measure.timeline import Timeline
from chaos.measure.verify import NotMeasured, check_invariants, present_refs
from chaos.parts import DetectorPart, FaultPart, SectionFacts
from chaos.record import (
    DataLossRecord,
    DetectorRecord,
    EndpointRecord,
    FaultTrialRecord,
    IndicatorRecord,
    InvariantResult,
    LoadHostRecord,
    TargetResult,
    TrialRecord,
    TrialRecordStatus,
)
from chaos.record.judged import trial_passed
from chaos.trial.context import TrialContext
from chaos.trial.loop import Trial

R = TypeVar("R", DetectorRecord, FaultTrialRecord)


def trial_record(n: int, trial: Trial, timeline: Timeline, ctx: TrialContext, wall_s: float,
                 verify: bool = False, status: TrialRecordStatus = "aborted") -> TrialRecord:
    st = trial.state
    watch = trial.watch.state
    m = metrics_mod.compute(timeline.events, st.counts,
                            slo=ctx.scenario.slo.availability if ctx.scenario.slo else None,
                            watched=[i.name for i in watch.indicators], t_fault=st.t_fault)
    rec = TrialRecord(trial=n, status=status, end_reason=st.end_reason,
                      wall_s=round(wall_s, 2), fault_t=st.t_fault, **m.as_dict())
    rec.indicators = [IndicatorRecord.model_validate(s) for s in watch.summaries()]
    rec.notes += indicator_notes(rec.indicators)
    if trial.aborted and st.end_reason:  # an abort_if stop condition held
        rec.abort_reason = st.end_reason.removeprefix("aborted: ")
    rec.requests_by_name = [EndpointRecord.model_validate(e)
                            for e in st.endpoints.as_list(st.t_fault)]
    rec.load_hosts = trial.load.hosts.host_records(ACCURACY_GOAL_S)
    rec.notes += load_host_notes(rec.load_hosts)
    if st.baseline_error:
        rec.baseline_error = st.baseline_error
    rec.data_loss = None
    rec.data_loss_note = "not measured: the scenario declares no data_loss query"
    rec.rpo_s = None
    rec.invariants = []
    if verify and st.t_fault is not None:
        measure_data_loss(rec, ctx, st)
        rec.invariants = [InvariantResult.model_validate(r) for r in
                          check_invariants(ctx.db_dsn, getattr(ctx.scenario, "invariants", []))]
    elif verify:
        rec.data_loss_note = "not measured: no fault was injected"
        rec.invariants = unchecked_invariants(ctx, "no fault was injected")
    rec.notes += [f"fault error: {e}" for e in st.fault_errors]
    rec.notes += shortfall_notes(timeline.events)   # faults that held less than written
    if st.recovery_error:
        rec.notes += [f"recovery failed: {st.recovery_error}"]
    rec.notes += [f"detector {d.name} broke: {d.error}" for d in trial.detectors if d.error]
    facts = SectionFacts(t_fault=st.t_fault, impact_t=watch.impact_t)
    rec.detectors = [detector_record(d, facts, rec.notes) for d in trial.detectors]
    rec.faults = [fault_record(i, f, facts, rec.notes) for i, f in enumerate(trial.faults.faults)]
    # The targets read the trial as written (dotted fields such as data_loss.lost).
    rec.targets = [TargetResult.model_validate(t) for t in
                   evaluate(rec.as_dict(), ctx.scenario.targets.model_dump(exclude_none=True))]
    # Passed: completed, every target met and every invariant held (not measured: no pass).
    rec.passed = trial_passed(status, rec.targets, rec.invariants)
    rec.events = list(timeline.events)
    return rec


def detector_record(d: Detector, facts: SectionFacts, notes: list[str]) -> DetectorRecord:
    """The detector's line of the record, with the section its part writes (under the
    part's ``record_key``) and the notes that section calls for."""
    return own_section(DetectorRecord(name=d.name, type=d.type_name, fired_t=d.fired_at),
                       d, facts, notes)


def fault_record(index: int, f: FaultPart, facts: SectionFacts,
                 notes: list[str]) -> FaultTrialRecord:
    """The fault's line of the record: its type and place, and its part's own section."""
    return own_section(FaultTrialRecord(type=f.type_name, index=index), f, facts, notes)


def own_section(rec: R, part: DetectorPart | FaultPart, facts: SectionFacts,
                notes: list[str]) -> R:
    section = part.record_section(facts)
    if section is not None and part.record_key:
        setattr(rec, part.record_key, section.model_dump(exclude_unset=True))
        notes += part.record_notes(section)
    return rec


def load_host_notes(hosts: list[LoadHostRecord]) -> list[str]:
    """Load hosts lost, with clocks known too loosely, or whose requests did not all
    arrive: each said, since each weakens what the trial measured."""
    notes = []
    for h in hosts:
        if h.lost:
            notes.append(f"load host {h.name} was lost mid-trial with {h.in_flight_at_loss} "
                         f"requests in flight; {h.unknown_writes} writes among them have an "
                         "unknown outcome (neither acknowledged nor lost); the requests it "
                         "answered after its last batch (about "
                         f"{h.unreported_estimate if h.unreported_estimate is not None else '?'}"
                         ") were never reported")
        if h.uncertain:
            notes.append(f"load host {h.name}: clock offset {h.offset_s} s known only to "
                         f"±{h.offset_uncertainty_s} s, more than the accuracy goal "
                         f"({ACCURACY_GOAL_S} s): times from it are that uncertain")
        if not h.lost and h.sent is None:
            notes.append(f"load host {h.name} never said how many requests it sent: its "
                         "last requests may be missing")
        elif h.sent is not None and h.received is not None and h.sent != h.received:
            notes.append(f"load host {h.name} sent {h.sent} requests, {h.received} arrived")
    return notes


def indicator_notes(indicators: list[IndicatorRecord]) -> list[str]:
    """Indicators still outside at the end, or never readable: said, never left silent."""
    notes = []
    for ind in indicators:
        if ind.still_out:
            notes.append(f"indicator '{ind.name}' was still outside its objective "
                         f"({ind.objective}) when the trial ended")
        if ind.unreadable:
            notes.append(f"indicator '{ind.name}' could not be read {ind.unreadable} of "
                         f"{ind.readings} times (counted as outside): {ind.last_error}")
    return notes


def unchecked_invariants(ctx: TrialContext, why: str) -> list[InvariantResult]:
    """The scenario's invariants, each not measured for ``why``: declared, so never
    left out as if there were none."""
    return [InvariantResult(name=inv.name, query=inv.query, expect=inv.expect, passed=False,
                            error=f"not measured: {why}")
            for inv in getattr(ctx.scenario, "invariants", [])]


def measure_data_loss(rec: TrialRecord, ctx: TrialContext, st: Any) -> None:
    """Lost writes, by the scenario's own query; without one, "not measured", never 0."""
    spec = ctx.scenario.data_loss
    if spec is None:
        return
    if not st.writes.observed:
        rec.data_loss_note = ("not measured: no request carried write_ref, so no write was "
                              "observed (a write is a Locust request whose `context` holds "
                              "write_ref; Locust copies the dict, so set it in the request "
                              "call: docs/scenarios.md, data_loss)")
        return
    try:
        loss = account(st.writes, present_refs(ctx.db_dsn, spec.query, st.writes), st.t_fault)
    except NotMeasured as exc:
        rec.data_loss_note = f"not measured: {exc}"
        rec.data_loss_error = str(exc)
        return
    except Exception as exc:  # the database may still be unreachable: say so, invent nothing
        rec.data_loss_note = f"not measured: {type(exc).__name__}: {exc}"
        rec.data_loss_error = str(exc)
        return
    rec.rpo_s = loss.pop("rpo_s")
    rec.data_loss = DataLossRecord.model_validate(loss)
    rec.data_loss_note = None
