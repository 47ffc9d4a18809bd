"""The run record, in one place: its models, reading one back, and a run directory.

    from chaos.record import RunRecord, load_result, load_run
    record = load_result(Path("reports/20261130-013225-quick-a423/result.json"))
    run = load_run("reports/20261130-013225-quick-a423")   # + timeline.jsonl, merged

- ``models``: result.json as typed models, what the writer writes and every reader reads;
- ``rehearsalrecord``: a rehearsal's boundary matrix (rehearsal.json, result.json's
  ``rehearsal``); ``section``: the base every model is built on;
- ``files``: reading result.json back, every problem of a damaged one named by field;
- ``numbers``: what a measurement, a count and a target name may be;
- ``rundir``: a run directory as the reports read it (result.json + timeline.jsonl);
- ``judged``: what a trial and a run passed on (targets and invariants), the verdict in words.

A trial's record is built where the trial is (``chaos.trial.recorded``): building
needs the trial's own types, and this package sits below the trial layer.
"""

from chaos.record.files import load_rehearsal, load_result, section_errors
from chaos.record.models import (
    SCHEMA_VERSION,
    DataLossRecord,
    DetectorRecord,
    EndpointRecord,
    FaultRecord,
    FaultTrialRecord,
    IndicatorRecord,
    LabRecord,
    LoadHostRecord,
    RunRecord,
    RunStatus,
    ScenarioRecord,
    SpreadRecord,
    TargetResult,
    ToolRecord,
    TrialRecord,
    TrialRecordStatus,
)
from chaos.record.numbers import LIMIT, Count, Number, TargetName
from chaos.record.rehearsalrecord import (
    BoundaryRecord,
    RehearsalRecord,
    RehearsalStatus,
    SeriesRecord,
    StatementRecord,
    WindowRecord,
)
from chaos.record.rundir import Run, fault_t, load_run
from chaos.record.section import InvariantResult, Section, kind

__all__ = [
    "LIMIT", "SCHEMA_VERSION", "BoundaryRecord", "Count", "DataLossRecord",
    "DetectorRecord", "EndpointRecord", "LoadHostRecord", "FaultRecord", "FaultTrialRecord",
    "IndicatorRecord",
    "InvariantResult",
    "LabRecord", "Number", "Run", "RunRecord", "RunStatus", "ScenarioRecord", "Section",
    "RehearsalRecord", "RehearsalStatus", "SeriesRecord", "SpreadRecord", "StatementRecord",
    "TargetName", "TargetResult", "ToolRecord", "TrialRecord", "TrialRecordStatus",
    "WindowRecord", "fault_t", "kind", "load_rehearsal", "load_result", "load_run",
    "section_errors",
]
