"""chaos compare / chaos history: verdicts, the gate, resolution, output, exit codes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from chaos.cli import main
from chaos.compare import compare, resolve
from chaos.compare.samples import sample
from chaos.compare.verdict import IMPROVED, NO_CHANGE, NOT_ENOUGH, REGRESSED, Gate, compare_metric
from chaos.errors import UsageError

SEED_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "runs" / "seed-sample"


def trials(ttd: list[float | None], impact: bool = True, status: str = "completed") -> list[dict]:
    return [{"trial": i, "status": status, "impact": impact, "ttd_s": v, "ttr_s": v,
             "failed_requests": 10, "data_loss": {"lost": 0}, "rpo_s": 0.0}
            for i, v in enumerate(ttd, 1)]


def verdict(base: list, cand: list, **kw) -> Any:
    return compare_metric(sample(trials(base), "ttd_s"), sample(trials(cand, **kw), "ttd_s"))


# ---- verdicts --------------------------------------------------------------------

def test_separated_five_per_side_is_a_regression():
    c = verdict([2.4, 2.5, 2.3, 2.6, 2.2], [15.4, 15.6, 15.3, 15.5, 15.8])
    assert c.verdict == REGRESSED and c.p < 0.05 and c.effect == 1.0
    assert c.difference == pytest.approx(15.5 - 2.4) and c.ci[0] > 12
    assert c.relative == pytest.approx((15.5 - 2.4) / 2.4)


def test_the_other_way_round_is_an_improvement():
    assert verdict([15.4, 15.6, 15.3, 15.5, 15.8], [2.4, 2.5, 2.3, 2.6, 2.2]).verdict == IMPROVED


def test_identical_samples_show_no_change():
    c = verdict([3.0] * 5, [3.0] * 5)
    assert (c.verdict, c.p, c.ci, c.difference) == (NO_CHANGE, 1.0, (0.0, 0.0), 0.0)


def test_overlapping_samples_show_no_change():
    assert verdict([1, 5, 3, 7, 4], [2, 6, 3, 8, 4]).verdict == NO_CHANGE


@pytest.mark.parametrize("n", [1, 2, 3])
def test_three_per_side_is_not_enough_even_when_separated(n):
    c = verdict([1.0] * n, [100.0] * n)
    assert c.verdict == NOT_ENOUGH and c.needed_per_side == 4 and c.p is None
    assert any("smallest possible p" in note for note in c.notes)


def test_four_per_side_is_enough_when_separated():
    c = verdict([1, 2, 3, 4], [5, 6, 7, 8])
    assert c.verdict == REGRESSED and c.p == pytest.approx(2 / 70)


def test_no_trials_on_one_side():
    assert verdict([], [1, 2, 3, 4]).verdict == NOT_ENOUGH


def test_all_null_samples_are_reported_not_dropped():
    c = verdict([None] * 5, [None] * 5)
    assert c.verdict == NO_CHANGE and c.p == 1.0 and c.ci is None and "nulls" in c.ci_note
    assert c.base.nulls == {"never happened": 5} and c.base.raw == [None] * 5
    assert "base: 5 null (never happened), ranked worse than any value" in c.notes


def test_null_words_follow_the_metric(capsys, tmp_path):
    lost = [{**t, "data_loss": None, "rpo_s": None} for t in trials([1.0] * 4)]
    c = compare_metric(sample(lost, "data_loss.lost"), sample(lost, "data_loss.lost"))
    assert c.base.nulls == {"not verified": 4}
    assert sample(lost, "rpo_s").nulls == {
        "unbounded: no write acknowledged before the fault survived": 4}


def test_never_detected_is_worse_than_any_value():
    c = verdict([2.0, 2.1, 2.2, 2.3, 2.4], [None] * 5)
    assert c.verdict == REGRESSED and math.isinf(c.difference)
    assert Gate.parse("1000%").exceeded(c) and Gate.parse("1h").exceeded(c)


def test_no_impact_is_better_than_any_value():
    c = verdict([2.0, 2.1, 2.2, 2.3, 2.4], [None] * 5, impact=False)
    assert c.verdict == IMPROVED and c.candidate.nulls == {"no impact": 5}


def test_aborted_trials_are_left_out_and_counted():
    base = sample(trials([1, 2, 3, 4]) + trials([None], status="aborted"), "ttd_s")
    assert base.n == 4 and base.excluded == 1


# ---- the gate ----------------------------------------------------------------------

def test_gate_parsing():
    assert Gate.parse("10%").relative == pytest.approx(0.10)
    assert Gate.parse("5s").absolute_s == 5.0 and Gate.parse("2m").absolute_s == 120.0
    assert Gate.parse(None).absolute_s == 0.0
    for bad in ("ten", "-5%", "%", "-3s"):
        with pytest.raises(UsageError):
            Gate.parse(bad)


def test_without_a_gate_a_regression_of_a_count_fails_too():
    # docs/ci.md: "Without it, any significant regression exits 1" (lost writes included).
    base = sample([{**t, "data_loss": {"lost": 0}} for t in trials([1] * 5)], "data_loss.lost")
    cand = sample([{**t, "data_loss": {"lost": 40 + t["trial"]}} for t in trials([1] * 5)],
                  "data_loss.lost")
    c = compare_metric(base, cand)
    assert c.verdict == REGRESSED and Gate().exceeded(c) and Gate.parse(None).exceeded(c)
    assert not Gate.parse("5s").exceeded(c)


def test_gate_thresholds():
    c = verdict([10, 10, 10, 10, 10.5], [12, 12, 12, 12, 12.5])   # +2 s, +20 %
    assert c.verdict == REGRESSED
    assert Gate.parse("10%").exceeded(c) and not Gate.parse("25%").exceeded(c)
    assert Gate.parse("1s").exceeded(c) and not Gate.parse("5s").exceeded(c)
    assert Gate().exceeded(c)                                     # default: any regression
    improved = verdict([12, 12, 12, 12, 12.5], [10, 10, 10, 10, 10.5])
    assert not Gate().exceeded(improved)


def test_a_duration_gate_does_not_apply_to_counts():
    base = sample([{**t, "failed_requests": 10} for t in trials([1] * 5)], "failed_requests")
    cand = sample([{**t, "failed_requests": 99} for t in trials([1] * 5)], "failed_requests")
    c = compare_metric(base, cand)
    assert c.verdict == REGRESSED
    assert not Gate.parse("5s").exceeded(c) and Gate.parse("10%").exceeded(c)


# ---- runs on disk: resolution, history, the CLI -------------------------------------

def write_run(reports: Path, name: str, ttd: list, label: str | None = None,
              started: str = "2026-11-30T01:00:00+00:00") -> Path:
    run_dir = reports / name
    run_dir.mkdir(parents=True)
    record = {"schema_version": 1, "run_id": name, "label": label, "status": "completed",
              "started": started, "passed": True,
              "scenario": {"name": "quick", "file": "/x/quick.yaml", "sha256": "ab" * 32,
                           "git_commit": "c0ffee" * 7},
              "trials": trials(ttd),
              "summary": {"ttd_s": {"median": sorted(v for v in ttd if v is not None)[len(ttd) // 2]
                                    if any(v is not None for v in ttd) else None}}}
    (run_dir / "result.json").write_text(json.dumps(record))
    return run_dir


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    r = tmp_path / "reports"
    write_run(r, "run-fast-old", [9.0] * 5, label="fast", started="2026-11-29T01:00:00+00:00")
    write_run(r, "run-fast", [2.4, 2.5, 2.3, 2.6, 2.2], label="fast")
    write_run(r, "run-slow", [15.4, 15.6, 15.3, 15.5, 15.8], label="slow",
              started="2026-11-30T02:00:00+00:00")
    return r


def chaos(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    return exit_.value.code


def test_label_resolves_to_the_newest_run(reports: Path):
    assert resolve("fast", reports).dir.name == "run-fast"
    assert resolve(str(reports / "run-slow"), reports).dir.name == "run-slow"
    with pytest.raises(UsageError, match="labels there: fast, slow"):
        resolve("medium", reports)


def test_compare_cli_regression_and_gate(reports: Path, capsys):
    assert chaos("compare", "fast", "slow", "--reports", str(reports), "--metric", "ttd_s",
                 "--max-regression", "10%") == 1
    out = capsys.readouterr().out
    assert "regressed" in out and "FAILED on ttd_s" in out and "run-fast [fast]" in out
    assert chaos("compare", "fast", "slow", "--reports", str(reports), "--metric", "ttd_s",
                 "--max-regression", "20s") == 0
    assert chaos("compare", "slow", "fast", "--reports", str(reports), "--metric", "ttd_s") == 0
    assert "improved" in capsys.readouterr().out


def test_compare_a_run_with_itself(reports: Path, capsys):
    assert chaos("compare", "fast", "fast", "--reports", str(reports)) == 0
    out = capsys.readouterr().out
    table = out.split("every completed trial")[0]
    assert "regressed" not in table and "improved" not in table
    assert "no significant change" in out and "gate (any significant regression): passed" in out


def test_compare_json_and_markdown(reports: Path, capsys):
    assert chaos("compare", "fast", "slow", "--reports", str(reports), "--format", "json") == 1
    doc = json.loads(capsys.readouterr().out)
    ttd = next(m for m in doc["metrics"] if m["metric"] == "ttd_s")
    assert ttd["verdict"] == "regressed" and ttd["p"] < 0.05 and len(ttd["ci95"]) == 2
    assert ttd["base"]["values"] == [2.4, 2.5, 2.3, 2.6, 2.2] and ttd["gate_exceeded"]
    assert doc["regressions_beyond_gate"] == ["ttd_s", "ttr_s"]
    assert doc["base"]["scenario"]["git_commit"] == "c0ffee" * 7
    assert chaos("compare", "fast", "slow", "--reports", str(reports), "--format", "markdown") == 1
    md = capsys.readouterr().out
    assert "| ttd_s |" in md and "**gate (any significant regression): FAILED" in md


def test_compare_json_keeps_nulls(tmp_path: Path, capsys):
    a = write_run(tmp_path, "a", [2.0, 2.1, 2.2, 2.3, 2.4])
    b = write_run(tmp_path, "b", [None] * 5)
    assert chaos("compare", str(a), str(b), "--format", "json", "--metric", "ttd_s") == 1
    ttd = json.loads(capsys.readouterr().out)["metrics"][0]
    assert ttd["candidate"]["values"] == [None] * 5
    assert ttd["candidate"]["nulls"] == {"never happened": 5}
    assert ttd["candidate"]["spread"]["median"] == "never" and ttd["ci95"] is None


@pytest.mark.parametrize("text, message", [
    ("{", "is not valid JSON"),
    ('{"schema_version": 99}', "schema_version 99"),
    ('{"schema_version": 1, "run_id": "x"}', "field 'trials' is missing"),
])
def test_compare_damaged_result_exits_2(tmp_path: Path, capsys, text: str, message: str):
    good = write_run(tmp_path, "good", [1.0] * 5)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "result.json").write_text(text)
    assert chaos("compare", str(good), str(bad)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_compare_missing_run_and_bad_options_exit_2(reports: Path, capsys):
    assert chaos("compare", str(reports / "nope"), "fast", "--reports", str(reports)) == 2
    assert "not found" in capsys.readouterr().err
    assert chaos("compare", "fast", "slow", "--reports", str(reports), "--max-regression", "x") == 2
    assert chaos("compare", "fast", "slow", "--reports", str(reports), "--metric", "mttr") == 2


def test_seed_sample_has_not_enough_trials(capsys):
    # One trial a side can show no regression at all: the gate saw nothing, and fails.
    assert chaos("compare", str(SEED_SAMPLE), str(SEED_SAMPLE)) == 1
    out = capsys.readouterr().out
    assert "not enough trials (need ≥4 per side)" in out
    assert "smallest possible p is 1" in out
    assert ("gate (any significant regression): FAILED: not measured: 1 + 1 completed "
            "trials: no difference could reach p < 0.05; run at least 4 per side") in out


# ---- the gate passes only on what it saw (issue #23) -------------------------------

def write_trials(where: Path, name: str, trial_list: list[dict]) -> Path:
    run_dir = where / name
    run_dir.mkdir(parents=True)
    record = {"schema_version": 1, "run_id": name, "label": None, "status": "completed",
              "started": "2026-11-30T01:00:00+00:00", "passed": True,
              "scenario": {"name": "quick", "file": "/x/quick.yaml", "sha256": "ab" * 32,
                           "git_commit": None},
              "trials": trial_list}
    (run_dir / "result.json").write_text(json.dumps(record))
    return run_dir


@pytest.mark.parametrize("side", ["base", "candidate"])
@pytest.mark.parametrize("candidate_trials, why", [
    (trials([None] * 2, status="aborted"), "has no completed trial (2 did not complete)"),
    ([], "has no completed trial"),
])
def test_a_side_without_a_completed_trial_is_not_measured_and_fails(
        tmp_path, capsys, side, candidate_trials, why):
    good = write_trials(tmp_path, "good", trials([2.0, 2.1, 2.2, 2.3, 2.4]))
    empty = write_trials(tmp_path, "empty", candidate_trials)
    runs = [str(empty), str(good)] if side == "base" else [str(good), str(empty)]
    assert chaos("compare", *runs, "--max-regression", "10%") == 1
    out = capsys.readouterr().out
    assert "passed" not in out.splitlines()[-1]
    assert out.splitlines()[-1] == (f"gate (--max-regression 10%): FAILED: not measured: the "
                                    f"{side} run empty {why}")
    assert chaos("compare", *runs, "--format", "json") == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["gate_passed"] is False and doc["regressions_beyond_gate"] == []
    assert doc["not_measured"] == [{"metric": None, "why": f"the {side} run empty {why}"}]


def test_a_metric_never_measured_on_one_side_fails_the_gate(tmp_path, capsys):
    # Before: the base's nulls ranked worst, so the candidate "improved" and the gate passed.
    base = write_trials(tmp_path, "base", [{**t, "ttr_s": None} for t in trials([2.0] * 5)])
    cand = write_trials(tmp_path, "cand", trials([2.0] * 5))
    c = compare(resolve(str(base), tmp_path), resolve(str(cand), tmp_path))
    ttr = next(m for m in c.metrics if m.metric == "ttr_s")
    assert ttr.verdict == IMPROVED and not c.failed         # the rank test alone would pass it
    assert [str(u) for u in c.not_measured] == [
        "ttr_s: no base trial has a value (5 never happened)"]
    assert not c.passed
    assert chaos("compare", str(base), str(cand), "--max-regression", "10%") == 1
    assert ("FAILED: not measured: ttr_s: no base trial has a value (5 never happened)"
            in capsys.readouterr().out)


def test_lost_writes_never_verified_on_one_side_fail_the_gate(tmp_path):
    base = write_trials(tmp_path, "base", trials([2.0] * 5))
    cand = write_trials(tmp_path, "cand", [{**t, "data_loss": None} for t in trials([2.0] * 5)])
    c = compare(resolve(str(base), tmp_path), resolve(str(cand), tmp_path),
                metrics=("data_loss.lost",))
    assert [str(u) for u in c.not_measured] == [
        "data_loss.lost: no candidate trial has a value (5 not verified)"]
    assert not c.passed


def test_no_impact_is_a_measured_outcome_and_passes(tmp_path):
    base = write_trials(tmp_path, "base", trials([2.0, 2.1, 2.2, 2.3, 2.4]))
    cand = write_trials(tmp_path, "cand", trials([None] * 5, impact=False))
    c = compare(resolve(str(base), tmp_path), resolve(str(cand), tmp_path), metrics=("ttd_s",))
    assert c.metrics[0].verdict == IMPROVED and c.not_measured == [] and c.passed


def test_a_metric_neither_run_measured_is_named_and_left_out_unless_asked_for(tmp_path, capsys):
    both = [{**t, "ttm_s": None} for t in trials([2.0] * 5)]
    a, b = write_trials(tmp_path, "a", both), write_trials(tmp_path, "b", both)
    assert chaos("compare", str(a), str(b)) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("gate (any significant regression): passed (not gated, measured "
                           "by neither run: ") and "ttm_s" in last
    assert chaos("compare", str(a), str(b), "--metric", "ttm_s") == 1
    assert ("FAILED: not measured: ttm_s: no base trial has a value (5 never happened); "
            "ttm_s: no candidate trial has a value (5 never happened)"
            in capsys.readouterr().out)


def test_a_gate_that_applies_to_no_compared_metric_fails(reports, capsys):
    assert chaos("compare", "fast", "slow", "--reports", str(reports), "--metric",
                 "failed_requests", "--max-regression", "5s") == 1
    assert ("--max-regression 5s applies to no compared metric"
            in capsys.readouterr().out.splitlines()[-1])


def test_never_against_never_is_no_difference_of_zero():
    c = verdict([None] * 5, [None] * 5)
    assert c.difference is None and c.relative is None


def test_no_metric_at_all_is_not_measured(reports):
    c = compare(resolve("fast", reports), resolve("slow", reports), metrics=())
    assert [str(u) for u in c.not_measured] == ["no metric was compared"] and not c.passed


def test_history_newest_first_and_filters(reports: Path, capsys):
    (reports / "broken").mkdir()
    (reports / "broken" / "result.json").write_text("{")
    assert chaos("history", "--reports", str(reports)) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if line.startswith("2026-")]
    assert [line.split()[2] for line in lines] == ["run-slow", "run-fast", "run-fast-old"]
    assert "skipped" in captured.err and "broken" in captured.err
    assert chaos("history", "QUICK", "--reports", str(reports), "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in doc["runs"]] == ["run-slow", "run-fast", "run-fast-old"]
    assert doc["runs"][0]["medians"]["ttd_s"] == 15.5
    assert chaos("history", "other scenario", "--reports", str(reports)) == 0
    assert "no runs" in capsys.readouterr().out


def test_history_without_reports_dir_exits_2(tmp_path: Path, capsys):
    assert chaos("history", "--reports", str(tmp_path / "none")) == 2
    assert "no such directory" in capsys.readouterr().err


def test_compare_api_metrics_subset(reports: Path):
    cmp = compare(resolve("fast", reports), resolve("slow", reports))
    assert [c.metric for c in cmp.failed] == ["ttd_s", "ttr_s"]


# ---- game days: the people's times -------------------------------------------------

def gameday_trials(human_ttd: list[float | None]) -> list[dict]:
    return [{**t, "human_ttd_s": v, "human_tta_s": None if v is None else 30.0,
             "human_ttr_s": None if v is None else v + 60.0}
            for t, v in zip(trials([2.0] * len(human_ttd)), human_ttd, strict=True)]


def write_gameday(where: Path, name: str, trial_list: list[dict]) -> Path:
    run_dir = write_trials(where, name, trial_list)
    record = json.loads((run_dir / "result.json").read_text())
    record["scenario"]["recovery_trigger"] = "manual"
    (run_dir / "result.json").write_text(json.dumps(record))
    return run_dir


def test_two_teams_compared_on_the_peoples_times(tmp_path, capsys):
    team_a = write_gameday(tmp_path, "team-a", gameday_trials([40.0, 45.0, 38.0, 50.0, 42.0]))
    team_b = write_gameday(tmp_path, "team-b", gameday_trials([95.0, 120.0, 88.0, 101.0, 99.0]))
    c = compare(resolve(str(team_a), tmp_path), resolve(str(team_b), tmp_path))
    rows = {m.metric: m for m in c.metrics}
    assert {"human_ttd_s", "human_tta_s", "human_ttr_s"} <= set(rows)   # a game day: by default
    assert rows["human_ttd_s"].verdict == REGRESSED and rows["human_ttd_s"].difference == 57.0
    assert rows["human_ttr_s"].verdict == REGRESSED
    assert rows["human_tta_s"].verdict == NO_CHANGE      # 30 s on both sides
    assert not c.passed
    assert chaos("compare", str(team_a), str(team_b), "--metric", "human_ttd_s",
                 "--max-regression", "2m") == 0            # 57 s slower: within the gate
    assert "human_ttd_s" in capsys.readouterr().out


def test_a_team_that_never_marked_ranks_worst_and_says_so(tmp_path):
    marked = write_gameday(tmp_path, "marked", gameday_trials([40.0, 45.0, 38.0, 50.0, 42.0]))
    silent = write_gameday(tmp_path, "silent", gameday_trials([None] * 5))
    c = compare(resolve(str(marked), tmp_path), resolve(str(silent), tmp_path),
                metrics=("human_ttd_s",))
    row = c.metrics[0]
    assert row.verdict == REGRESSED and row.candidate.nulls == {
        "never marked: no responder made that mark": 5}
    assert [str(u) for u in c.not_measured] == [
        "human_ttd_s: no candidate trial has a value (5 never marked)"]
    assert not c.passed


def test_runs_without_people_are_not_compared_on_the_peoples_times(tmp_path, capsys):
    a = write_trials(tmp_path, "a", trials([2.0] * 5))
    b = write_trials(tmp_path, "b", trials([2.0] * 5))
    c = compare(resolve(str(a), tmp_path), resolve(str(b), tmp_path))
    assert not any(m.metric.startswith("human_") for m in c.metrics)
    assert chaos("compare", str(a), str(b), "--metric", "human_nonsense") == 2
    assert "human_ttd_s" in capsys.readouterr().err    # the choices name the people's times
