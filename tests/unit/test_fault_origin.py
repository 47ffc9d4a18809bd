"""The trial's origin (the first fault's instant) has one source: the trial's state,
written to the record as ``fault_t``; the first fault event only where a record lacks it.

A record whose field and events disagree is read one way, by the metrics and the reports.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from chaos.measure.metrics import RequestCounts, compute
from chaos.measure.timeline import fault_instant
from chaos.record import TrialRecord, fault_t, load_run
from chaos.report.story import TrialStory, stories

SAMPLE = Path(__file__).parents[1] / "data" / "runs" / "seed-sample"


def ev(kind: str, t: float, **detail) -> dict:
    return {"kind": kind, "t": t, "wall": f"2026-01-01T00:00:{t:06.3f}+00:00", "trial": 1, **detail}


# The events put the fault at 12; the trial recorded 10 (what its state said).
EVENTS = [ev("trial_started", 0.0), ev("fault_injected", 14.0, fault="pause", index=1),
          ev("fault_injected", 12.0, fault="kill", index=0), ev("impact", 13.0, indicator="e"),
          ev("detector_fired", 16.0, name="errors")]


def test_the_first_fault_event_is_the_instant_where_nothing_recorded_it():
    assert fault_instant(EVENTS) == 12.0                # the first in time, not in the list
    assert fault_instant([ev("trial_started", 0.0)]) is None
    assert fault_t({"trial": 1, "status": "running"}, EVENTS) == 12.0


def test_the_recorded_instant_wins_over_the_events():
    trial = {"trial": 1, "status": "completed", "fault_t": 10.0}
    assert fault_t(trial, EVENTS) == 10.0
    story = TrialStory(1, TrialRecord.model_validate(trial), EVENTS, [])
    assert story.t_fault == 10.0 and story.since_fault(16.0) == 6.0
    assert story.first("detector_fired") == 16.0


def test_the_metrics_count_from_the_trials_instant():
    given = compute(EVENTS, RequestCounts(), t_fault=10.0)
    assert given.ttd_s == 6.0 and given.tti_s == 3.0
    assert compute(EVENTS, RequestCounts()).ttd_s == 4.0   # no instant given: the events'


def test_a_report_reads_the_recorded_instant(tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(SAMPLE, run_dir)
    record = json.loads((run_dir / "result.json").read_text())
    (story,) = stories(load_run(run_dir))
    from_events = story.t_fault
    assert from_events is not None and "fault_t" not in record["trials"][0]   # an old record
    record["trials"][0]["fault_t"] = from_events - 5
    (run_dir / "result.json").write_text(json.dumps(record))
    (story,) = stories(load_run(run_dir))
    assert story.t_fault == from_events - 5
