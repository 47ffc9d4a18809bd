"""The run record, in one place: its models, reading one back, and a run directory.

    from chaos.record import RunRecord, load_result, load_run
    record = load_result(Path("reports/20261130-013225-quick-a423/result.json"))
    run = load_run("reports/20261130-013225-quick-a423")   # + timeline.jsonl, merged

- ``models``: result.json as typed models, what the writer writes and every reader reads;
- ``files``: reading result.json back, every problem of a damaged one named by field;
- ``numbers``: what a measurement, a count and a target name may be;
- ``rundir``: a run directory as the reports read it (result.json + timeline.jsonl).

A trial's record is built where the trial is (``chaos.trial.recorded``): building
needs the trial's own types, and this package sits below the trial layer.
"""

from chaos.record.files import load_result, section_errors
from chaos.record.models import (
    SCHEMA_VERSION,
    DataLossRecord,
    DetectorRecord,
    EndpointRecord,
    FaultRecord,
    FaultTrialRecord,
    IndicatorRecord,
    InvariantResult,
    LabRecord,
    LoadHostRecord,
    RunRecord,
    RunStatus,
    ScenarioRecord,
    Section,
    SpreadRecord,
    TargetResult,
    ToolRecord,
    TrialRecord,
    TrialRecordStatus,
    kind,
)
from chaos.record.numbers import LIMIT, Count, Number, TargetName
from chaos.record.rundir import Run, fault_t, load_run

__all__ = [
    "LIMIT", "SCHEMA_VERSION", "Count", "DataLossRecord",
    "DetectorRecord", "EndpointRecord", "LoadHostRecord", "FaultRecord", "FaultTrialRecord",
    "IndicatorRecord",
    "InvariantResult",
    "LabRecord", "Number", "Run", "RunRecord", "RunStatus", "ScenarioRecord", "Section",
    "SpreadRecord", "TargetName", "TargetResult", "ToolRecord", "TrialRecord",
    "TrialRecordStatus", "fault_t", "kind", "load_result", "load_run", "section_errors",
]
