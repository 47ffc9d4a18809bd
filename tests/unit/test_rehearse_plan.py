"""A rehearsal's boundaries, the trial each becomes, and the verdict on what it measured."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chaos.measure.observation import Observation
from chaos.record import RehearsalRecord, TrialRecord
from chaos.rehearse.judgement import boundary_record, exit_code, reasons
from chaos.rehearse.matrix import junit, matrix_lines
from chaos.rehearse.outcome import Outcome, Window, measure, window
from chaos.rehearse.plan import AfterStop, Boundary, Timing, boundaries, overrides
from chaos.sample import SAMPLE_DIR
from chaos.scenario import load_scenario

SEED = SAMPLE_DIR / "scenarios" / "half-applied-update.yaml"
SCRIPT = SAMPLE_DIR / "scenarios" / "faults" / "reprice.sql"


def test_clean_first_then_every_stop_then_the_lost_acknowledgement():
    got = boundaries(3)
    assert [b.key for b in got] == ["clean", "after-0", "after-1", "after-2", "lost-ack"]
    assert got[0].clean and not got[-1].clean and got[-1].applied == 3
    assert got[1].describe() == "died before unit 1"
    assert got[3].describe() == "died after unit 2 of 3"


def test_every_variant_is_a_valid_scenario_of_the_seed():
    timing = Timing(at=6, hold=4, settle=20)
    for b in boundaries(6):
        sc = load_scenario(SEED, overrides=overrides(b, SCRIPT.resolve(), AfterStop("rerun"),
                                                     timing))
        (fault,) = sc.faults
        assert fault.type == "partial_migration" and fault.params.units == b.applied
        assert fault.at == 6 and fault.duration == 4.5 and sc.time_limit == 30
        assert fault.params.lose_ack is b.lost_ack
        assert not sc.targets.model_dump(exclude_none=True)
        if b.clean:
            assert sc.recovery.trigger == "none"
        else:
            assert sc.recovery.trigger == "at" and sc.recovery.at == 10
            assert [s.type for s in sc.recovery.steps] == ["run_migration"]
            assert sc.recovery.steps[0].params.path == SCRIPT.resolve()


def test_the_scenarios_own_steps_are_kept_and_started_at_the_boundarys_end():
    sc = load_scenario(SEED, overrides=overrides(Boundary(2, 6), SCRIPT.resolve(),
                                                 AfterStop("steps"), Timing(at=6, hold=4)))
    assert [s.type for s in sc.recovery.steps] == ["restore_backup", "run_sql"]
    assert (sc.recovery.trigger, sc.recovery.at, sc.recovery.delay) == ("at", 10, 0)


def obs(t: float, ok: bool, name: str = "/x", ms: float = 10) -> Observation:
    return Observation(start=t - ms / 1000, end=t, ok=ok, status=200 if ok else 500, name=name)


def test_a_window_counts_only_what_ended_inside_it():
    w = window([obs(1.0, True), obs(2.0, False, "/a"), obs(2.5, False, "/a"),
                obs(3.0, True)], 1.5, 3.0)
    assert (w.requests, w.failed, w.failing) == (2, 2, {"/a": 2})
    assert w.error_ratio == 1.0


def trial(end_reason="recovered", recovery="recovery_finished", invariant_ok=True):
    events = [{"kind": "fault_injected", "wall": "2026-12-06T17:00:10.000+00:00"},
              {"kind": "fault_applied", "wall": "2026-12-06T17:00:10.100+00:00",
               "applied": 3, "runs": [{"unit": 1, "start": 1796576410.0, "duration_s": 0.5,
                                       "locks": {"products": "AccessExclusiveLock"},
                                       "waiting_sessions": 2}]},
              {"kind": "recovery_started", "wall": "2026-12-06T17:00:14.000+00:00"}]
    if recovery:
        events.append({"kind": recovery, "wall": "2026-12-06T17:00:14.2+00:00",
                       "error": "unit 1 failed"})
    return TrialRecord.model_validate(
        {"trial": 1, "status": "completed", "end_reason": end_reason, "events": events,
         "invariants": [{"name": "once", "passed": invariant_ok, "observed": 0 if
                         invariant_ok else 10000, "expect": 0}]})


def test_each_reason_a_boundary_fails_and_not_measured_never_passes():
    b = Boundary(3, 6)
    t0 = 1796576410.0
    failing = [obs(t0 + 1 + i / 10, i % 2 == 0, "/products") for i in range(20)]
    o = measure(b, trial(), failing, hold=4)
    o.converged = True
    assert o.half is not None and o.half.requests == 20 and o.half.failed == 10
    assert [r.split(":")[0] for r in reasons(o, 0.01)] == ["users failing"]
    assert reasons(o, 0.6) == []
    o2 = measure(b, trial(recovery="recovery_failed", invariant_ok=False,
                          end_reason="time_limit"), [], hold=4)
    why = reasons(o2, 0.01)
    assert why[0].startswith("not measured: no request ended")
    assert any(r.startswith("recovery failed") for r in why)
    assert any(r.startswith("invariant 'once' after recovery") for r in why)
    assert any(r.startswith("not measured: the schema") for r in why)
    assert any(r.startswith("the app did not serve again") for r in why)
    never = measure(b, TrialRecord(trial=1, status="completed", end_reason="baseline_failed"),
                    failing, hold=4)
    assert reasons(never, 0.5)[0].startswith("not measured: the boundary was never reached")


def test_the_clean_runs_statements_carry_locks_and_the_requests_during_them():
    t0 = 1796576410.0
    load = [obs(t0 - 2 + i / 10, True, ms=10) for i in range(20)]        # before: 10 ms
    load += [obs(t0 + 0.3, True, ms=400), obs(t0 + 0.45, False, "/p", ms=100)]
    o = measure(Boundary(6, 6), trial(), load, hold=4)
    (row,) = o.statements
    assert row.locks == {"products": "AccessExclusiveLock"} and row.waiting_sessions == 2
    assert (row.requests, row.failed, row.slowed) == (2, 1, 2)
    assert row.p99_before_ms is not None and row.p99_ms is not None
    assert row.p99_ms > row.p99_before_ms
    # Nothing ended before the script: "slower than before" is not measured, not zero.
    (alone,) = measure(Boundary(6, 6), trial(), load[20:], hold=4).statements
    assert alone.p99_before_ms is None and alone.slowed is None


def test_the_matrix_junit_and_exit_code_agree():
    ok = Outcome(Boundary(6, 6), half=Window(0, 1, requests=10), serving_again=True)
    bad = Outcome(Boundary(3, 6), half=Window(0, 1, requests=10, failed=9,
                                              failing={"/products/[id]": 9}),
                  recovery="done", converged=True, serving_again=True)
    rows = [boundary_record(ok, 0.01), boundary_record(bad, 0.01)]
    assert exit_code(rows) == 1 and exit_code(rows[:1]) == 0 and exit_code([]) == 1
    doc = RehearsalRecord(script="m.sql", units=6, recovery="rerun", max_error_ratio=0.01,
                          status="completed", boundaries=rows, passed=False)
    text = "\n".join(matrix_lines(doc))
    assert "90.0% of 10" in text and "/products/[id]" in text and "verdict: FAIL" in text
    suite = ET.fromstring(junit(doc).split("\n", 1)[1])
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failure = suite.findall("testcase")[1].find("failure")
    assert failure is not None and "users failing" in failure.get("message", "")
    aborted = ET.fromstring(junit(doc.model_copy(update={"status": "aborted"}))
                            .split("\n", 1)[1])
    assert aborted.get("errors") == "1"


@pytest.mark.slow   # three `chaos` processes
def test_a_bad_script_is_refused_before_any_lab(tmp_path: Path):
    import subprocess
    import sys

    bad = tmp_path / "m.sql"
    bad.write_text("ALTER TABLE t ADD COLUMN c int;\nBEGIN;\nUPDATE t SET c = 1;\n")
    for args, words in (([str(bad), "--scenario", str(SEED)], f"{bad}:2: this BEGIN"),
                        ([str(SCRIPT), "--scenario", str(SEED), "--hold", "soon"], "--hold"),
                        ([str(SCRIPT), "--scenario", str(SEED), "--recovery", "nope.sql"],
                         "--recovery"),
                        (["--scenario", str(SEED)], "has no rehearse.script")):
        done = subprocess.run([sys.executable, "-m", "chaos", "rehearse", *args],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert words in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow   # every report of two runs, drawn
def test_a_rehearsal_renders_in_report_html_and_nowhere_else(tmp_path: Path):
    import json
    import shutil

    from chaos.report import render_all

    sample = Path(__file__).resolve().parents[1] / "data" / "runs" / "alert-sample"
    plain, rehearsed = tmp_path / "plain", tmp_path / "rehearsed"
    shutil.copytree(sample, plain)
    shutil.copytree(sample, rehearsed)
    clean = boundary_record(Outcome(Boundary(2, 2), half=Window(0, 1, requests=50),
                                    serving_again=True), 0.01).as_dict()
    clean["statements"] = [{"unit": 1, "duration_s": 0.25, "locks": {"products":
                            "AccessExclusiveLock"}, "waiting_sessions": 3, "requests": 12,
                            "failed": 2, "slowed": 5, "p99_ms": 300.0, "p99_before_ms": 40.0}]
    clean["series"] = {"step_s": 0.5, "units": [[0.0, 0.25, 1]],
                       "rows": [[t / 2 - 5, 40, int(t == 10), 20.0 + t] for t in range(20)]}
    broken = boundary_record(Outcome(Boundary(1, 2), half=Window(0, 1, requests=40, failed=40,
                                                                 failing={"/<b>x</b>": 40}),
                                     recovery="done", converged=False, serving_again=True),
                             0.01).as_dict()
    doc = {"script": "m.sql", "units": 2, "recovery": "rerun the script from the top",
           "max_error_ratio": 0.01, "status": "completed", "boundaries": [clean, broken],
           "passed": False}
    (rehearsed / "rehearsal.json").write_text(json.dumps(doc))
    render_all(plain)
    render_all(rehearsed)
    html = (rehearsed / "report.html").read_text()
    assert 'id="rehearsal"' in html and "died after unit 1 of 2" in html
    assert "AccessExclusiveLock on products" in html and "<svg" in html.split('id="rehearsal"')[1]
    assert "/&lt;b&gt;x&lt;/b&gt;" in html and "/<b>x</b>" not in html   # escaped
    assert (rehearsed / "rehearsal.png").read_bytes()[:4] == b"\x89PNG"
    assert 'id="rehearsal"' not in (plain / "report.html").read_text()
    assert not (plain / "rehearsal.png").exists()


def scenario_with(tmp_path: Path, section: str) -> Path:
    import shutil

    shutil.copytree(SEED.parent, tmp_path / "scenarios")
    shutil.copytree(SEED.parent.parent / "compose", tmp_path / "compose")
    path = tmp_path / "scenarios" / "seed.yaml"
    path.write_text(SEED.read_text() + section)
    return path


def test_the_rehearse_section_gives_defaults_and_is_checked_at_its_line(tmp_path: Path):
    from chaos.errors import ScenarioError

    good = scenario_with(tmp_path / "good", "rehearse:\n  script: faults/reprice.sql\n"
                         "  recovery: faults/reprice-fixed.sql\n  hold: 5s\n"
                         "  max_error_ratio: 2%\n")
    section = load_scenario(good).rehearse
    assert section is not None and section.script == good.parent / "faults" / "reprice.sql"
    assert section.recovery_file() == good.parent / "faults" / "reprice-fixed.sql"
    assert (section.hold, section.max_error_ratio, section.at) == (5.0, 0.02, None)
    for text, words in (("  recovery: fixed.txt\n", "expected rerun, steps or a .sql file"),
                        ("  recovery: missing.sql\n", "file not found: missing.sql"),
                        ("  hold: soon\n", "hold")):
        bad = scenario_with(tmp_path / str(abs(hash(text))), "rehearse:\n" + text)
        with pytest.raises(ScenarioError) as caught:
            load_scenario(bad)
        (problem,) = caught.value.problems
        assert problem.line == len(SEED.read_text().splitlines()) + 2, problem
        assert problem.path.startswith("rehearse.") and words in str(problem), problem


def test_a_rehearsal_that_breaks_still_leaves_ci_a_failed_suite(tmp_path: Path, monkeypatch):
    import json

    import chaos.lab.engine
    import chaos.rehearse.rehearsal as rehearsal
    from chaos.cli.rehearse_command import rehearse_cmd
    from chaos.errors import LabError

    finished = boundary_record(Outcome(Boundary(6, 6), half=Window(0, 1, requests=10),
                                       serving_again=True), 0.01).as_dict()

    def breaks(script, scenario, opts):
        out = tmp_path / "run"
        out.mkdir()
        (out / "rehearsal.json").write_text(json.dumps(
            {"script": str(script), "units": 6, "boundaries": [finished],
             "status": "running"}))
        opts.on_start(out)
        raise LabError("the lab vanished")

    monkeypatch.setattr(rehearsal, "rehearse", breaks)
    monkeypatch.setattr(chaos.lab.engine, "check_local", lambda: None)
    junit_path = tmp_path / "r.xml"
    with pytest.raises(LabError):
        rehearse_cmd(str(SCRIPT), str(SEED), None, None, None, None, None, None,
                     str(junit_path), False, ())
    suite = ET.fromstring(junit_path.read_text().split("\n", 1)[1])
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "0", "1")
    assert "did not finish" in junit_path.read_text()
