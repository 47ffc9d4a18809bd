"""Reports rendered from a real run record (tests/data/runs/seed-sample) and edits of it."""

from __future__ import annotations

import copy
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC
from pathlib import Path

import pytest

from chaos.errors import EXIT_INVALID_INPUT, ReportError
from chaos.record import load_run
from chaos.report import junit as junit_report
from chaos.report import postmortem as postmortem_report
from chaos.report import render_all

SAMPLE = Path(__file__).parents[1] / "data" / "runs" / "seed-sample"
SECTIONS = ["## Issue Summary", "## Timeline", "## Root Cause", "## Resolution and Recovery",
            "## Corrective and Preventive Measures", "## Metrics versus targets"]
TIME_METRICS = ("ttd_s", "tta_s", "ttm_s", "ttr_s", "outage_s")


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(SAMPLE, out)
    return out


def result_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "result.json").read_text())


def save(run_dir: Path, result: dict) -> None:
    (run_dir / "result.json").write_text(json.dumps(result, indent=2))


def postmortem(run_dir: Path) -> str:
    """The post-mortem's text, from the renderer alone (render_all also draws every
    chart, a second each; its own tests are below)."""
    return postmortem_report.render(load_run(run_dir))


def section(text: str, heading: str) -> str:
    start = text.index(heading) + len(heading)
    following = [text.index(h) for h in SECTIONS if h in text and text.index(h) > start]
    return text[start:min(following, default=len(text))]


def table_row(text: str, metric: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| {metric} "))


def junit(run_dir: Path) -> ET.Element:
    return ET.fromstring(junit_report.render(load_run(run_dir))).find("testsuite")


# ---- the seed sample ------------------------------------------------------------


def test_render_all_writes_every_report(run_dir: Path):
    before = (run_dir / "result.json").read_bytes()
    paths = render_all(run_dir)
    assert sorted(p.name for p in paths) == ["chart.png", "junit.xml", "postmortem.md",
                                             "report.html"]
    assert all(p.parent == run_dir and p.stat().st_size > 0 for p in paths)
    assert (run_dir / "result.json").read_bytes() == before   # rendering never edits the record
    assert not list(run_dir.glob(".*"))                       # no temp files left behind


def test_postmortem_has_the_sections_in_order(run_dir: Path):
    text = postmortem(run_dir)
    positions = [text.index(h) for h in SECTIONS]
    assert positions == sorted(positions)
    assert text.startswith("# Post-mortem: half-applied update (the seed incident)")


def test_issue_summary_facts(run_dir: Path):
    summary = section(postmortem(run_dir), "## Issue Summary")
    assert "7.6 s" in summary                             # outage_s
    assert "100.0% of requests failed" in summary         # peak, from the samples
    assert "1157 of 4002 requests failed" in summary
    assert "165 of 567 acknowledged writes lost" in summary
    assert ("half_applied_update: script died at statement 4 (`ALTER TABLE products RENAME "
            "COLUMN price_cents_new TO price_cents;`) leaving 3 statements applied") in summary


def test_timeline_is_chronological_with_a_time_zone(run_dir: Path):
    lines = [line for line in section(postmortem(run_dir), "## Timeline").splitlines()
             if line.startswith("- **")]
    stamps = [re.match(r"- \*\*(\d\d:\d\d:\d\d\.\d{3}) (UTC(?:[+-]\d\d:\d\d)?)\*\*", line)
              for line in lines]
    assert lines, "no timeline entries"
    assert all(stamps), lines
    times = [m.group(1) for m in stamps]
    assert times == sorted(times)
    text = "\n".join(lines)
    order = ["backup #1 taken", "backup #2 taken", "fault injected", "alert fired: user-facing",
             "recovery started", "step 1 done in 0.28 s: restore_backup",
             "step 2 done in 0.07 s: run_sql", "back inside its objective (mitigated)",
             "service restored"]
    assert all(item in text for item in order)
    # mitigated (22.67 s) comes before the restore step finished (22.76 s): by time, not file order
    assert text.index("(mitigated)") < text.index("step 1 done")
    assert "**01:32:47.856 UTC** (fault +0.0 s) — fault injected" in text


def test_recovery_lists_each_step_with_its_duration(run_dir: Path):
    recovery = section(postmortem(run_dir), "## Resolution and Recovery")
    assert "- step 1 done in 0.28 s: restore_backup — restored backup #2" in recovery
    assert "- step 2 done in 0.07 s: run_sql — ran reprice-fixed.sql (1 statement)" in recovery


def test_corrective_measures_follow_from_the_run(run_dir: Path):
    measures = section(postmortem(run_dir), "## Corrective and Preventive Measures")
    assert "Run migrations in a transaction" in measures
    assert "health check does not see this failure" in measures
    assert "Back up more often" in measures and "4.9 s older than the fault" in measures
    assert "losing 165 acknowledged writes" in measures
    assert "Alert sooner" not in measures                 # TTD met its target


def test_targets_table(run_dir: Path):
    table = section(postmortem(run_dir), "## Metrics versus targets")
    data_loss = table_row(table, "data_loss")
    assert "| 165 |" in data_loss and "FAIL" in data_loss and "≤ 0" in data_loss
    assert "2.419 s" in table_row(table, "ttd") and "PASS" in table_row(table, "ttd")
    assert "PASS" in table_row(table, "ttr")


def test_junit(run_dir: Path):
    suite = junit(run_dir)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"ttd", "ttr", "data_loss"}
    assert ({c.get("classname") for c in cases.values()}
            == {"half-applied update (the seed incident)"})
    assert cases["data_loss"].find("failure").get("message") == "observed 165, limit 0"
    assert cases["ttd"].find("failure") is None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["ttd_s"] == "2.419" and props["ttr_s"] == "12.655"
    assert props["lost_writes"] == "165"


def test_an_invariant_not_checked_is_no_evidence_of_wrong_data(run_dir: Path):
    result = result_of(run_dir)
    result["trials"][0]["invariants"] = [
        {"name": "prices set", "query": "SELECT 1", "expect": 1, "observed": None,
         "passed": False, "error": "not measured: connection refused"},
        {"name": "stock", "query": "SELECT 0", "expect": 1, "observed": 0, "passed": False}]
    save(run_dir, result)
    measures = section(postmortem(run_dir), "## Corrective and Preventive Measures")
    assert ("Make the invariant 'prices set' readable after recovery: it was not checked "
            "(not measured: connection refused).") in measures
    assert "invariant 'prices set' failed" not in measures
    assert "invariant 'stock' failed after recovery (observed 0, expected 1)" in measures


def test_junit_is_red_when_the_run_did_not_pass_though_every_target_did(run_dir: Path):
    # A trial stopped by abort_if, its targets met so far: exit 1, so the XML is red too.
    result = result_of(run_dir)
    result["targets"] = [{**t, "passed": True} for t in result["targets"]]
    second = {**copy.deepcopy(result["trials"][0]), "trial": 2, "status": "aborted",
              "abort_reason": "error_rate above 50% for 10s", "passed": False}
    result["trials"].append(second)
    save(run_dir, result)
    suite = junit(run_dir)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "0")
    run = next(c for c in suite.iter("testcase") if c.get("name") == "run")
    assert run.find("failure").get("message") == (
        "run did not pass: trial 2 aborted: error_rate above 50% for 10s")


def test_junit_without_targets_judges_nothing_and_says_so(run_dir: Path):
    result = result_of(run_dir)
    result["targets"], result["scenario"]["targets"], result["passed"] = [], {}, True
    save(run_dir, result)
    suite = junit(run_dir)
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("1", "0", "1")
    case = suite.find("testcase")
    assert case.get("name") == "targets"
    assert case.find("skipped").get("message") == ("the scenario declares no targets and no "
                                                    "invariants: nothing was judged")


def test_junit_median_property_says_how_many_trials_it_left_out(run_dir: Path):
    result = result_of(run_dir)
    result["trials"].append({**copy.deepcopy(result["trials"][0]), "trial": 2, "ttd_s": None})
    result["summary"]["ttd_s"] = {"n": 1, "nulls": 1, "median": 2.419}
    save(run_dir, result)
    props = {p.get("name"): p.get("value") for p in junit(run_dir).iter("property")}
    assert props["ttd_s"] == "2.419 (1 of 2 trials null)"
    assert props["ttr_s"] == "12.655"


# ---- damaged input --------------------------------------------------------------


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.write_text(p.read_text()[:500]), "not valid JSON"),
    (lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "schema_version": 99})),
     "schema_version 99"),
    (lambda p: p.write_text(json.dumps({k: v for k, v in json.loads(p.read_text()).items()
                                        if k != "schema_version"})), "no schema_version"),
    (lambda p: p.write_text("[1, 2, 3]"), "expected a JSON object, found a list"),
    (lambda p: p.unlink(), "not found"),
    (lambda p: p.write_text(json.dumps({"schema_version": 1, "trials": {}})), "field 'run_id'"),
    (lambda p: p.write_bytes(b"\xff\xfe\x00garbage"), "cannot be read"),
])
def test_damaged_result_is_refused(run_dir: Path, damage, message):
    damage(run_dir / "result.json")
    with pytest.raises(ReportError) as err:
        render_all(run_dir)
    assert err.value.exit_code == EXIT_INVALID_INPUT
    assert str(run_dir / "result.json") in str(err.value) and message in str(err.value)
    assert not (run_dir / "postmortem.md").exists() and not (run_dir / "junit.xml").exists()


def test_torn_last_timeline_line_is_tolerated(run_dir: Path):
    with open(run_dir / "timeline.jsonl", "a") as f:
        f.write('{"kind": "sample", "trial": 1, "t": 28.2, "requ')
    assert "100.0% of requests failed" in postmortem(run_dir)


def test_missing_timeline_renders_from_result_alone(run_dir: Path):
    (run_dir / "timeline.jsonl").unlink()
    text = postmortem(run_dir)
    assert "fault injected" in text and "no per-second samples" in text
    assert "timeline.jsonl is missing" in text


# ---- aborted and partial runs ------------------------------------------------------


def aborted(result: dict, reason: str) -> dict:
    result = copy.deepcopy(result)
    trial = result["trials"][0]
    cut = 20.0   # the run died while the alert was firing, before any recovery
    trial["events"] = [e for e in trial["events"] if e["t"] < cut]
    trial.update(status="aborted", end_reason=None, tta_s=None, ttm_s=None, ttr_s=None,
                 data_loss=None, rpo_s=None, passed=False)
    for t in trial["targets"]:
        if t["metric"] in ("ttr", "data_loss"):
            t.update(observed=None, passed=False, note="never happened within the time limit")
    result.update(status="aborted", abort_reason=reason, passed=False)
    return result


def test_aborted_run_renders_and_says_so(run_dir: Path):
    save(run_dir, aborted(result_of(run_dir), "LabError: the db container exited "
                          "(postgresql://chaos:hunter2@127.0.0.1:5432/shop)"))
    lines = [line for line in (run_dir / "timeline.jsonl").read_text().splitlines()
             if json.loads(line)["t"] < 20.0]
    (run_dir / "timeline.jsonl").write_text("\n".join(lines) + "\n")
    text = postmortem(run_dir)
    head = text[:text.index("## Issue Summary")]
    assert "This run was aborted" in head and "LabError: the db container exited" in head
    assert "hunter2" not in text and "chaos:***@" in text      # secrets never reach a report
    positions = [text.index(h) for h in SECTIONS]
    assert positions == sorted(positions)
    assert "— (trial aborted)" in table_row(text, "ttr")
    assert "service was not restored" in section(text, "## Issue Summary")
    suite = junit(run_dir)
    run_case = next(c for c in suite.iter("testcase") if c.get("name") == "run")
    assert "run did not complete" in run_case.find("error").get("message")
    assert suite.get("errors") == "1"


def test_run_killed_mid_trial_renders_from_the_timeline(run_dir: Path):
    result = result_of(run_dir)
    for key in ("finished", "summary", "targets", "passed"):
        result.pop(key)
    result.update(status="running", trials=[{"trial": 1, "status": "running"}])
    save(run_dir, result)
    text = postmortem(run_dir)
    assert "This run did not finish" in text
    assert "— (not recorded)" in table_row(text, "ttr")
    assert "the per-second samples show errors from" in text
    assert "fault injected: half_applied_update" in text     # events from timeline.jsonl
    assert all(h in text for h in SECTIONS)
    assert "FAIL" in table_row(text, "data_loss")
    suite = junit(run_dir)
    assert suite.get("failures") == "3" and suite.get("errors") == "1"


def test_no_impact_shows_no_impact(run_dir: Path):
    result = result_of(run_dir)
    trial = result["trials"][0]
    trial["events"] = [e for e in trial["events"]
                       if e["kind"] not in ("detector_fired", "recovery_started", "step_started",
                                            "step_done", "recovery_finished", "mitigated",
                                            "recovered")]
    trial.update({m: None for m in TIME_METRICS}, impact=False, end_reason="no_impact",
                 detected_by=None, failed_requests=0, rpo_s=0.0,
                 data_loss={**trial["data_loss"], "lost": 0, "lost_sample": [],
                            "lost_window_s": None},
                 detectors=[{**d, "fired_t": None} for d in trial["detectors"]],
                 notes=["no impact: no request failed after the fault"])
    trial["targets"] = [{**t, "observed": None if t["metric"] != "data_loss" else 0, "passed": True}
                        for t in trial["targets"]]
    result.update(passed=True, targets=[{k: v for k, v in t.items() if k != "field"}
                                        for t in trial["targets"]])
    save(run_dir, result)
    (run_dir / "timeline.jsonl").unlink()
    text = postmortem(run_dir)
    for metric in ("ttd", "tta", "ttm", "ttr", "outage"):
        assert "— (no impact)" in table_row(text, metric), metric
    assert "no impact: no indicator left its objective" in section(text, "## Issue Summary")
    assert "Nothing to recover from" in text
    assert "health check does not see" not in text and "Add a detector" not in text


def test_never_detected_and_never_recovered(run_dir: Path):
    result = result_of(run_dir)
    trial = result["trials"][0]
    trial["events"] = [e for e in trial["events"] if e["t"] < 17.0]
    trial.update(ttd_s=None, tta_s=None, ttm_s=None, ttr_s=None, end_reason="time_limit",
                 detectors=[{**d, "fired_t": None} for d in trial["detectors"]])
    for t in trial["targets"]:
        if t["metric"] in ("ttd", "ttr"):
            t.update(observed=None, passed=False)
    save(run_dir, result)
    (run_dir / "timeline.jsonl").unlink()
    text = postmortem(run_dir)
    assert "— (never detected)" in table_row(text, "ttd")
    assert "— (not recovered)" in table_row(text, "ttr")
    assert "FAIL" in table_row(text, "ttd")
    measures = section(text, "## Corrective and Preventive Measures")
    assert "Add a detector that sees this failure" in measures
    assert "Make this failure recoverable" in measures and "no recovery was started" in measures


def test_several_trials(run_dir: Path):
    result = result_of(run_dir)
    first = result["trials"][0]
    second = {**copy.deepcopy(first), "trial": 2, "ttd_s": 40.0, "ttr_s": 50.0}
    second["events"] = [{**e, "trial": 2} for e in first["events"]]
    second["targets"][0].update(observed=40.0, passed=False)
    result["trials"].append(second)
    result.update(summary={"ttd_s": {"n": 2, "nulls": 0, "median": 21.2, "min": 2.419,
                                     "max": 40.0, "p90": 36.2}},
                  targets=[{**result["targets"][0], "observed": 40.0, "passed": False},
                           *result["targets"][1:]])
    save(run_dir, result)
    text = postmortem(run_dir)
    assert "### Trial 1" in text and "### Trial 2" in text
    assert "### Summary across trials" in text
    assert "| ttd_s | 2 | 0 | 21.2 | 2.419 | 40 | 36.2 |" in text
    assert "| 2 | completed (recovered) | 40 |" in text
    assert "40 s" in table_row(text, "ttd") and "FAIL" in table_row(text, "ttd")
    measures = section(text, "## Corrective and Preventive Measures")
    assert "Alert sooner" in measures and "(seen in 1 of 2 trials)" in measures
    assert "(seen in 2 of 2 trials)" in measures
    assert junit(run_dir).get("failures") == "2"


# ---- renderers and the command line ------------------------------------------------


def test_a_broken_renderer_is_loud_but_does_not_stop_the_others(run_dir: Path, monkeypatch):
    from chaos import report

    def broken(run):
        raise KeyError("oops")

    monkeypatch.setitem(report.RENDERERS, "postmortem.md", broken)
    with pytest.raises(ReportError) as err:
        render_all(run_dir)
    assert err.value.exit_code == 3
    assert "postmortem.md: KeyError" in str(err.value)
    assert (run_dir / "junit.xml").exists() and not (run_dir / "postmortem.md").exists()


@pytest.mark.slow   # a pytest or chaos subprocess, or matplotlib charts: seconds
def test_chaos_report_command(run_dir: Path):
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "chaos", "report", str(run_dir)],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "postmortem.md" in ok.stdout and "junit.xml" in ok.stdout
    (run_dir / "result.json").write_text('{"schema_version": 1, "run_id": "x"')
    bad = subprocess.run([sys.executable, "-m", "chaos", "report", str(run_dir)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert "result.json: is not valid JSON" in bad.stderr and "Traceback" not in bad.stderr


def test_run_aborted_before_any_trial(run_dir: Path):
    result = result_of(run_dir)
    result.update(status="aborted", abort_reason="LabError: docker compose up failed", trials=[],
                  passed=False, summary={},
                  targets=[{**t, "observed": None, "passed": False} for t in result["targets"]])
    save(run_dir, result)
    (run_dir / "timeline.jsonl").write_text("")
    text = postmortem(run_dir)
    assert "This run was aborted" in text and "docker compose up failed" in text
    assert all(h in text for h in SECTIONS)
    assert "— (no trial)" in table_row(text, "ttd")
    assert "every target was met" not in text
    suite = junit(run_dir)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "3", "1")


def test_person_marks_appear_in_the_timeline(run_dir: Path):
    mark = {"t": 19.0, "wall": "2026-11-30T01:32:51.840+00:00", "kind": "mark", "trial": 1,
            "mark": "detected", "note": "pager went off"}
    with open(run_dir / "timeline.jsonl", "a") as f:
        f.write(json.dumps(mark) + "\n")
    timeline = section(postmortem(run_dir), "## Timeline")
    assert ("**01:32:51.840 UTC** (fault +4.0 s) — marked by a person — detected: pager went off"
            in timeline)
    assert (timeline.index("alert fired") < timeline.index("pager went off")
            < timeline.index("backup #3"))


def test_clock_shows_the_zone():
    from datetime import datetime, timedelta, timezone

    from chaos.report.text import clock

    plus2 = timezone(timedelta(hours=2))
    assert clock(datetime(2026, 1, 1, 3, 4, 5, 999_600, tzinfo=plus2)) == "03:04:06.000 UTC+02:00"
    assert clock(datetime(2026, 1, 1, 3, 4, 5, 123_400, tzinfo=UTC)) == "03:04:05.123 UTC"
