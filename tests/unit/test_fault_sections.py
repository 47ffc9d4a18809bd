"""A fault brings its own section of the trial's record, as a detector does
(``PartBase.record_key`` / ``Record`` / ``record_section`` / ``record_notes``): written
under ``trials[n].faults[i].<key>`` with the notes it calls for, checked by the part's
model where the part is installed, kept as written where it is not."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from chaos.errors import ReportError
from chaos.faults.base import Fault
from chaos.parts import SectionFacts
from chaos.record import SCHEMA_VERSION, RunRecord, Section, section_errors
from chaos.record import files as record_files
from chaos.trial.recorded import fault_record


class FlipRecord(Section):
    flipped: int
    when_s: float | None = None


class Flip(Fault):
    """A fault of this test alone: it 'flips' rows and says how many."""

    type_name = "flip"
    record_key: ClassVar[str | None] = "flip"
    Record: ClassVar[type[BaseModel] | None] = FlipRecord

    def __init__(self, flipped: int) -> None:
        self.flipped = flipped
        self.detail: dict[str, Any] = {}

    def record_section(self, facts: SectionFacts) -> FlipRecord:
        return FlipRecord(flipped=self.flipped,
                          when_s=None if facts.t_fault is None else 0.25)

    def record_notes(self, section: BaseModel) -> list[str]:
        assert isinstance(section, FlipRecord)
        return [] if section.flipped else ["flip: no row was there to flip"]


class Plain(Fault):
    type_name = "plain"


def record_with(trial_faults: list[dict[str, Any]]) -> RunRecord:
    return RunRecord.model_validate({
        "schema_version": SCHEMA_VERSION, "run_id": "r", "status": "completed",
        "scenario": {"name": "s"},
        "trials": [{"trial": 1, "status": "completed", "faults": trial_faults}]})


def test_a_fault_writes_its_section_and_the_notes_it_calls_for():
    notes: list[str] = []
    rec = fault_record(2, Flip(0), SectionFacts(t_fault=10.0, impact_t=None), notes)
    assert rec.as_dict() == {"type": "flip", "index": 2,
                             "flip": {"flipped": 0, "when_s": 0.25}}
    assert notes == ["flip: no row was there to flip"]
    plain = fault_record(0, Plain.__new__(Plain), SectionFacts(None, None), notes)
    assert plain.model_extra == {} and len(notes) == 1    # no section, no note


def test_its_section_is_checked_where_the_part_is_installed(monkeypatch):
    good = record_with([{"type": "flip", "index": 0, "flip": {"flipped": 3}}])
    bad = record_with([{"type": "flip", "index": 0, "flip": {"flipped": "many"}}])
    # Not installed here: kept as written, whatever it holds.
    assert section_errors(bad) == []
    monkeypatch.setattr(record_files, "faults", {"flip": Flip})
    assert section_errors(good) == []
    errors = section_errors(bad)
    assert [e["loc"] for e in errors] == [("trials", 0, "faults", 0, "flip", "flipped")]


def test_a_damaged_fault_section_is_refused_by_name(monkeypatch, tmp_path):
    monkeypatch.setattr(record_files, "faults", {"flip": Flip})
    path = tmp_path / "result.json"
    path.write_text(record_with([{"type": "flip", "index": 0, "flip": {"flipped": "many"}}])
                    .model_dump_json())
    with pytest.raises(ReportError, match=r"trials\[0\]\.faults\[0\]\.flip\.flipped|flipped"):
        record_files.load_result(path)


def test_the_post_mortem_says_each_fault_as_written_with_its_parameters():
    from chaos.record import ScenarioRecord
    from chaos.report.postmortem import planned_faults

    scenario = ScenarioRecord.model_validate({"name": "s", "faults": [
        {"type": "pause", "at_s": 12.0, "duration_s": 8.0, "params": {"target": "db"}},
        {"type": "webhook", "at_s": 3.0, "params": {"api_key": "***", "body": {"a": [1, 2]},
                                                     "url": "x" * 200, "unset": None}},
        {"type": "kill", "at_s": 5.0}]})
    lines = planned_faults(scenario)
    assert lines[0] == "pause at 12 s for 8 s: target=db"
    assert lines[1].startswith('webhook at 3 s: api_key=***, body={"a":[1,2]}, url=xxx')
    assert lines[1].endswith("...") and "unset" not in lines[1]
    assert lines[2] == "kill at 5 s"          # a record from before params were kept
