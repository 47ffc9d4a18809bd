"""A rehearsal's boundary matrix, typed (``chaos.record.rehearsalrecord``): rehearsal.json
and result.json's ``rehearsal`` section read back, old ones too, and every reader (the
report, the terminal matrix, JUnit) saying "not measured" where nothing was, never 0."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from chaos.errors import ReportError
from chaos.record import RehearsalRecord, load_rehearsal, load_result, load_run
from chaos.rehearse.matrix import junit, matrix_lines, statement_lines
from chaos.report.rehearsalview import rehearsal_view

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "runs" / "alert-sample"

# As the first `chaos rehearse` wrote it: no ``acknowledgement``, windows without
# ``p99_ms``, and a clean run with no chart (``series``: {}).
OLD: dict[str, Any] = {
    "script": "/repo/scenarios/faults/reprice.sql", "units": 2,
    "recovery": "rerun the script from the top", "hold_s": 10.0, "max_error_ratio": 0.01,
    "status": "completed",
    "boundaries": [
        {"boundary": "clean", "describe": "clean run (2 of 2 units)", "applied": 2, "of": 2,
         "lost_ack": False, "passed": True, "reasons": [],
         "half_applied": {"seconds": 10.0, "requests": 80, "failed": 0, "error_ratio": 0.0,
                          "failing": {}},
         "before": None, "invariants_half_applied": [], "recovery": None,
         "invariants_after": [{"name": "once", "query": "select 0", "expect": 0,
                               "observed": 0, "passed": True}],
         "converged": None, "schema_diff": [], "serving_again": True,
         "end_reason": "no_impact",
         "statements": [{"unit": 1, "duration_s": 0.25, "error": None,
                         "locks": {"products": "AccessExclusiveLock"},
                         "waiting_sessions": 3, "requests": 12, "failed": 2, "slowed": None,
                         "p99_ms": 300.0, "p99_before_ms": None}],
         "series": {}},
        {"boundary": "after-1", "describe": "died after unit 1 of 2", "applied": 1, "of": 2,
         "lost_ack": False, "passed": False,
         "reasons": ["not measured: no request ended while the database sat at this boundary"],
         "half_applied": {"seconds": 10.0, "requests": 0, "failed": 0, "error_ratio": None,
                          "failing": {}},
         "before": None, "invariants_half_applied": [], "recovery": "done",
         "invariants_after": [], "converged": None, "schema_diff": [],
         "serving_again": None, "end_reason": "time_limit"},
    ],
    "passed": False,
}


def run_dir(tmp_path: Path, in_result: dict[str, Any] | None = None,
            rehearsal_json: str | None = None) -> Path:
    out = tmp_path / "run"
    shutil.copytree(SAMPLE, out)
    if in_result is not None:
        record = json.loads((out / "result.json").read_text())
        record["rehearsal"] = in_result
        (out / "result.json").write_text(json.dumps(record))
    if rehearsal_json is not None:
        (out / "rehearsal.json").write_text(rehearsal_json)
    return out


def test_an_old_rehearsal_in_result_json_loads_and_is_written_back_as_it_was(tmp_path):
    out = run_dir(tmp_path, in_result=OLD)
    record = load_result(out / "result.json")
    doc = record.rehearsal
    assert isinstance(doc, RehearsalRecord)
    clean, stopped = doc.boundaries
    # fields it never had are not measured, not 0 and not invented
    assert clean.acknowledgement is None and "acknowledgement" not in doc.as_dict()
    assert clean.half_applied is not None and clean.half_applied.p99_ms is None
    assert clean.statements[0].slowed is None and clean.statements[0].p99_before_ms is None
    assert stopped.half_applied is not None and stopped.half_applied.error_ratio is None
    assert stopped.converged is None and stopped.serving_again is None
    assert record.as_dict()["rehearsal"] == OLD   # the same keys, the same values


def test_the_report_reads_the_rehearsal_from_result_json_when_rehearsal_json_is_gone(
        tmp_path):
    view = rehearsal_view(load_run(run_dir(tmp_path, in_result=OLD)))
    assert view is not None and view["threshold"] == "1.0%" and view["units"] == 2
    clean, stopped = view["rows"]
    assert clean["errors"] == "0.0% of 80" and clean["converged"] == "–"
    assert stopped["errors"] == "not measured" and stopped["converged"] == "not measured"
    assert stopped["serving"] == "not measured" and stopped["recovery"] == "done"
    (unit,) = view["statements"]
    assert unit["locks"] == "AccessExclusiveLock on products"
    assert unit["slowed"] is None and unit["before"] is None   # shown "–", never 0
    assert view["chart"] is None                                # no series: no chart
    unset = {k: v for k, v in OLD.items() if k not in ("max_error_ratio", "units")}
    view = rehearsal_view(load_run(run_dir(tmp_path / "unset", in_result=unset)))
    assert view is not None and view["threshold"] == "not recorded" and view["units"] == "?"


def test_rehearsal_json_comes_first_and_a_plain_run_has_no_rehearsal(tmp_path):
    newer = copy.deepcopy(OLD)
    newer["status"] = "running"
    both = load_run(run_dir(tmp_path / "a", in_result=OLD, rehearsal_json=json.dumps(newer)))
    assert both.rehearsal is not None and both.rehearsal.status == "running"
    plain = load_run(run_dir(tmp_path / "b"))
    assert plain.rehearsal is None and rehearsal_view(plain) is None and not plain.notes


def test_a_damaged_rehearsal_json_is_named_and_rendered_around(tmp_path):
    bad = copy.deepcopy(OLD)
    bad["boundaries"][1]["half_applied"]["error_ratio"] = "high"
    run = load_run(run_dir(tmp_path / "a", in_result=OLD, rehearsal_json=json.dumps(bad)))
    assert run.rehearsal is not None and run.rehearsal.status == "completed"   # result.json's
    (note,) = run.notes
    assert "boundaries[1].half_applied.error_ratio" in note and "result.json's copy" in note
    alone = load_run(run_dir(tmp_path / "b", rehearsal_json="{not json"))
    assert alone.rehearsal is None and "rehearsal is not shown" in alone.notes[0]
    with pytest.raises(ReportError, match="field 'status' is missing"):
        load_rehearsal(run_dir(tmp_path / "c", rehearsal_json='{"script": "m.sql"}')
                       / "rehearsal.json")


def test_a_damaged_rehearsal_in_result_json_is_refused_by_field(tmp_path):
    bad = copy.deepcopy(OLD)
    bad["boundaries"][0]["statements"][0]["requests"] = 1.5
    with pytest.raises(ReportError, match=r"rehearsal\.boundaries\[0\]\.statements\[0\]"
                                          r"\.requests"):
        load_result(run_dir(tmp_path, in_result=bad) / "result.json")


def test_the_terminal_matrix_and_junit_say_not_measured_never_zero():
    doc = RehearsalRecord.model_validate(OLD)
    text = "\n".join(matrix_lines(doc))
    assert "threshold 1.0%" in text and "verdict: FAIL (completed)" in text
    stopped = next(line for line in text.splitlines() if line.startswith("died after unit 1"))
    assert "not measured" in stopped and "0.0%" not in stopped
    (unit,) = statement_lines(doc)[2:]
    assert unit.split()[:2] == ["1", "0.250"] and unit.split()[-3:] == ["-", "300", "-"]
    unknown = RehearsalRecord(script="m.sql", status="aborted")
    assert "threshold ?" in matrix_lines(unknown)[0] and "? units" in matrix_lines(unknown)[0]
    assert "no request ended" in junit(doc) and 'errors="0"' in junit(doc)
    assert 'errors="1"' in junit(unknown) and 'tests="1"' in junit(unknown)


def test_report_html_shows_a_dash_for_a_unit_value_never_measured(tmp_path):
    """A unit that never finished has no duration: the table says "–", not "None"."""
    from chaos.report import html

    doc = copy.deepcopy(OLD)
    unit = doc["boundaries"][0]["statements"][0]
    unit.update(duration_s=None, waiting_sessions=None)
    page = html.render(load_run(run_dir(tmp_path, in_result=doc)))
    row = page[page.index('<table class="rehearsal"><thead><tr><th>unit</th>'):]
    row = row[row.index("<tbody>"):row.index("</tbody>")]
    assert "None" not in row and row.count("<td>–</td>") >= 4, row
