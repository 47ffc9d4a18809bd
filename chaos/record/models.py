"""The run record (result.json) as typed models: what the writer writes and every reader reads.

    record = RunRecord.model_validate(json.loads(text))   # raises pydantic's ValidationError
    record.trials[0].ttd_s; record.scenario.name
    record.as_dict()   # the JSON form, keys exactly as written

``chaos.run`` builds the record from these models; ``chaos.report``, ``chaos
compare`` and ``chaos history`` read result.json through ``load_result``
(``chaos.record.files``), so
the shape is written down once, here. A damaged record is refused with every
problem named by file and field path:

    reports/x/result.json: field 'trials[0].ttd_s' should be a number, found a string 'soon'

Readers are tolerant where a record may honestly be partial: a trial the
process did not live to finish is ``{"trial": n, "status": "running"}``, a run
that was killed has no ``summary``, and keys we do not know (a plugin's, a
newer writer's) are kept. Known fields are strict about their type: a number
is a finite int or float (never true/false), a count a whole number.

``as_dict`` leaves out what was never set, rather than filling defaults in:
"no ``impact`` key" (a record from before the trial measured it) and
"``impact``: null" are different statements, and reports tell them apart.

Events stay dicts: each part (fault, detector, recovery step, a person's mark)
adds its own keys, and the reports read them as such.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from chaos.record.numbers import Count, Number, TargetName
from chaos.record.rehearsalrecord import RehearsalRecord
from chaos.record.section import InvariantResult, Section, kind

SCHEMA_VERSION = 1          # what this version of chaos writes
READABLE_SCHEMAS = (1,)     # what it reads; the only place a version is checked
TrialRecordStatus = Literal["running", "completed", "aborted", "unknown"]   # unknown: reader's own
RunStatus = Literal["running", "completed", "aborted"]


# ---- the scenario, as the run saw it ---------------------------------------------------

class FaultRecord(Section):
    """A fault as the scenario wrote it. ``params`` are its own parameters (JSON form,
    defaults filled in), so a report says what was injected without the part installed;
    a record from before they were kept has none. Secrets among them are masked on
    write like the rest of the record (``chaos.atomic``)."""

    type: str
    at_s: Number | None = None
    duration_s: Number | None = None
    params: dict[str, Any] = {}


class ScenarioRecord(Section):
    name: str
    description: str | None = None
    file: str | None = None
    sha256: str | None = None
    git_commit: str | None = None
    overrides: list[str] = []
    time_limit_s: Number | None = None
    recovery_trigger: str | None = None
    faults: list[FaultRecord] = []
    targets: dict[TargetName, Number] = {}   # scenario target -> limit
    slo: dict[str, Any] | None = None


# ---- one trial --------------------------------------------------------------------------

class DataLossRecord(Section):
    """Lost acknowledged writes (``chaos.measure.dataloss``); ``lost`` is what targets judge."""

    acknowledged: Count | None = None
    lost: Count
    unknown: Count | None = None
    unknown_found: Count | None = None
    unknown_missing: Count | None = None
    lost_sample: list[str] = []
    lost_window_s: list[Number] | None = None   # [first, last] answer time of a lost write


class TargetResult(Section):
    """One pass/fail line: per trial (with the trial ``field``) or per run."""

    metric: str
    field: str | None = None
    limit: Number
    observed: Number | None = None
    passed: bool
    note: str | None = None


class DetectorRecord(Section):
    """A detector over the trial. Its part may add a section of its own under its
    ``record_key`` (``chaos.parts.PartBase``), kept here as an unknown key and checked
    against the part's ``Record`` model where the part is installed (``chaos.record.files``)."""

    name: str
    type: str
    fired_t: Number | None = None


class FaultTrialRecord(Section):
    """A fault of the trial (in the scenario's order). Its part may add a section of its
    own under its ``record_key``, as a detector does (``DetectorRecord``)."""

    type: str
    index: Count


class EndpointRecord(Section):
    name: str
    total: Count = 0
    failed: Count = 0
    failed_after_fault: Count = 0
    first_failure_s: Number | None = None
    last_failure_s: Number | None = None
    failed_statuses: dict[str, Count] = {}


class LoadHostRecord(Section):
    """A host that sent load (provenance, so that runs can be compared), its clock offset
    from the orchestrator's (taken out of every request it sent) and, if it was lost
    mid-trial, when and with what in flight."""

    name: str
    hostname: str = ""
    address: str = ""
    locust: str = ""
    pid: int | None = None
    users: Count | None = None
    offset_s: Number | None = None
    offset_uncertainty_s: Number | None = None
    uncertain: bool | None = None       # uncertainty above the accuracy goal
    joined: bool = True
    lost: bool = False
    lost_at: Number | None = None       # wall clock: the last instant it was heard from
    in_flight_at_loss: Count | None = None
    unknown_writes: Count = 0
    unreported_estimate: Count | None = None    # answered after its last batch, never seen
    sent: Count | None = None           # what it said it sent (None: it never said)
    received: Count | None = None
    missing_batches: Count = 0


class IndicatorRecord(Section):
    """One indicator over a trial (``chaos.measure.indicators``): did it leave its
    objective after the fault, when, how far, for how long; its readings for the chart."""

    name: str
    type: str
    objective: str | None = None
    limit: Number | None = None          # the objective's number (ratio, seconds, value)
    breached: bool = False
    first_out_t: Number | None = None
    first_out_value: Number | None = None
    back_inside_t: Number | None = None
    out_s: Number | None = None
    still_out: bool = False
    worst: Number | None = None
    readings: Count | None = None
    unreadable: Count | None = None
    last_error: str | None = None
    baseline_rate: Number | None = None
    series: list[list[Number | None]] = []


class TrialRecord(Section):
    trial: Count
    status: TrialRecordStatus
    end_reason: str | None = None
    wall_s: Number | None = None
    fault_t: Number | None = None         # the first fault, on the trial's clock (events' t):
                                          # the origin of every *_s; chaos.record.fault_t reads it
    phase_s: Number | None = None         # the first fault, seconds after a rule evaluation tick
    phase_delay_s: Number | None = None   # ... for which the faults came this much later
    impact: bool | None = None
    tti_s: Number | None = None           # fault -> impact (the first indicator outside)
    impact_by: str | None = None
    indicators: list[IndicatorRecord] = []
    ttd_s: Number | None = None
    tta_s: Number | None = None
    ttm_s: Number | None = None
    ttr_s: Number | None = None
    outage_s: Number | None = None
    detected_by: str | None = None
    human_ttd_s: Number | None = None
    human_ttd_by: str | None = None       # the responder who marked it
    human_vs_alert_s: Number | None = None   # human_ttd_s - ttd_s: < 0, before the alert
    diagnoses: list[dict[str, Any]] = []  # what responders thought the cause was
    human_tta_s: Number | None = None
    human_ttr_s: Number | None = None
    premature_marks: Count | None = None
    failed_requests: Count | None = None
    total_requests: Count | None = None
    error_budget_burned: Number | None = None
    notes: list[str] = []
    abort_reason: str | None = None       # the abort_if condition that held, or max_duration
    requests_by_name: list[EndpointRecord] = []
    load_hosts: list[LoadHostRecord] = []
    baseline_error: str | None = None
    data_loss: DataLossRecord | None = None
    data_loss_note: str | None = None     # why data_loss is null ("not measured: ...")
    data_loss_error: str | None = None
    rpo_s: Number | None = None
    invariants: list[InvariantResult] = []
    detectors: list[DetectorRecord] = []
    faults: list[FaultTrialRecord] = []
    targets: list[TargetResult] = []
    passed: bool | None = None
    events: list[dict[str, Any]] = []


# ---- the run ----------------------------------------------------------------------------

class ToolRecord(Section):
    name: str
    version: str


class LabRecord(Section):
    id: str
    project: str


class SpreadRecord(Section):
    """One metric across the trials: how many had a value, how many were null."""

    n: Count | None = None
    nulls: Count | None = None
    median: Number | None = None
    min: Number | None = None
    max: Number | None = None
    p90: Number | None = None


class RunRecord(Section):
    schema_version: int
    tool: ToolRecord | None = None
    run_id: str
    label: str | None = None
    scenario: ScenarioRecord
    started: str | None = None
    finished: str | None = None
    status: RunStatus
    abort_reason: str | None = None
    lab: LabRecord | None = None
    resets_s: list[Number] = []       # seconds each database reset between trials took
    seed: Count | None = None         # of the trials' random fault phase (with Prometheus)
    trials: list[TrialRecord]
    summary: dict[str, SpreadRecord] | None = None
    targets: list[TargetResult] | None = None
    passed: bool | None = None
    # `chaos rehearse`: the boundary matrix (rehearsal.json, also kept here once it ends)
    rehearsal: RehearsalRecord | None = None

    @model_validator(mode="before")
    @classmethod
    def _readable_version(cls, data: Any) -> Any:
        # Checked before any field: a record of another version may differ in any of them.
        if not isinstance(data, dict):
            raise PydanticCustomError("record", "expected a JSON object, found {found}",
                                      {"found": kind(data)})
        version = data.get("schema_version")
        if isinstance(version, bool) or version not in READABLE_SCHEMAS:
            readable = ", ".join(str(v) for v in READABLE_SCHEMAS)
            found = ("no schema_version" if version is None
                     else f"schema_version {repr(version)[:40]}")
            raise PydanticCustomError("version", "{found}; this version of chaos reads "
                                      "schema_version {readable}",
                                      {"found": found, "readable": readable})
        return data

