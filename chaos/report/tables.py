"""The tables of the post-mortem: metrics versus targets, invariants, summary, per-trial rows.

A metric with no value shows as "—" with the reason (``null_reason``), never as
a zero or the limit.
"""

from __future__ import annotations

from typing import Any

from chaos.measure.targets import TARGET_FIELDS, lookup
from chaos.record import Run, TrialRecord
from chaos.record.judged import held, trial_passed
from chaos.report.story import TrialStory
from chaos.report.text import NULL, md_cell, num, redact

TIME_TARGETS = {"ttd", "tta", "ttm", "ttr", "outage", "rpo"}
ROWS = ("ttd", "tta", "ttm", "ttr", "outage", "failed_requests", "data_loss", "rpo")
LABELS = {"ttd": "time to detect", "tta": "time to acknowledge", "ttm": "time to mitigate",
          "ttr": "time to recover", "outage": "outage (first to last error)",
          "failed_requests": "failed requests", "data_loss": "lost acknowledged writes",
          "rpo": "recovery point", "error_budget_burned": "error budget burned"}


def null_reason(story: TrialStory, metric: str) -> str:
    """Why a metric of this trial has no value, in the words the tables use."""
    trial = story.trial
    if trial.status == "aborted":
        return "trial aborted"
    if trial.status != "completed":
        return "not recorded"
    if story.t_fault is None:
        return "no fault injected"
    if metric in ("data_loss", "rpo") and trial.data_loss is None:
        return "not measured"
    if metric == "rpo":
        return "no write acknowledged before the fault survived"
    if not trial.impact:
        return "no impact"
    if metric == "ttd" or (metric == "tta" and trial.ttd_s is None):
        return "never detected"
    if metric == "tta":
        return "no recovery started"
    return "not recovered"


def _value(metric: str, value: Any, trial: TrialRecord | None = None) -> str:
    if metric in TIME_TARGETS:
        return f"{num(value)} s"
    if metric == "failed_requests" and trial is not None and trial.total_requests is not None:
        return f"{num(value)} of {num(trial.total_requests)}"
    return num(value)


def _limit(metric: str, limit: Any) -> str:
    if limit is None:
        return NULL
    return f"≤ {num(limit)} s" if metric in TIME_TARGETS else f"≤ {num(limit)}"


def _row(metric: str, observed: str, limit: Any, passed: bool | None) -> dict[str, str]:
    label = f"{metric} — {LABELS[metric]}" if metric in LABELS else metric
    result = NULL if passed is None else ("PASS" if passed else "**FAIL**")
    return {"metric": md_cell(label), "observed": md_cell(observed),
            "target": _limit(metric, limit), "result": result}


def trial_table(story: TrialStory, limits: dict[str, Any]) -> list[dict[str, str]]:
    trial = story.trial
    checked = {t.metric: t.passed for t in trial.targets}
    rows = []
    for metric in list(ROWS) + [m for m in limits if m not in ROWS]:
        # a target's field is a dotted path into the JSON form ("data_loss.lost")
        value = lookup(story.record, TARGET_FIELDS.get(metric, metric))
        shown = (_value(metric, value, trial) if value is not None
                 else f"{NULL} ({null_reason(story, metric)})")
        verdict = checked.get(metric) if metric in limits else None
        if metric in limits and verdict is None:
            verdict = False  # a target no trial result speaks for is not met
        rows.append(_row(metric, shown, limits.get(metric), verdict))
    return rows


def run_table(run: Run, all_stories: list[TrialStory]) -> list[dict[str, str]]:
    """Targets across trials: observed is the worst trial, as result.json reports it."""
    rows = []
    for t in run.target_results():
        if t.observed is not None:
            shown = _value(t.metric, t.observed)
        else:
            reasons = sorted({null_reason(s, t.metric) for s in all_stories}) or ["no trial"]
            shown = f"{NULL} ({', '.join(reasons)})"
        rows.append(_row(t.metric, shown, t.limit, t.passed))
    return rows


def summary_rows(run: Run) -> list[dict[str, str]]:
    return [{"metric": md_cell(metric), "n": num(s.n), "nulls": num(s.nulls),
             "median": num(s.median), "min": num(s.min), "max": num(s.max), "p90": num(s.p90)}
            for metric, s in run.spreads().items()]


def trial_rows(all_stories: list[TrialStory]) -> list[dict[str, str]]:
    rows = []
    for s in all_stories:
        t = s.trial
        lost = t.data_loss.lost if t.data_loss is not None else None
        status = f"{t.status} ({t.end_reason or NULL})"
        times = {"ttd": t.ttd_s, "tta": t.tta_s, "ttm": t.ttm_s, "ttr": t.ttr_s,
                 "outage": t.outage_s}
        rows.append({"trial": str(s.n), "status": status,
                     **{m: num(v) for m, v in times.items()},
                     "failed": f"{num(t.failed_requests)} / {num(t.total_requests)}",
                     "lost": num(lost),
                     "passed": "PASS" if trial_passed(t.status, t.targets, t.invariants)
                     else "**FAIL**"})
    return rows


def invariant_rows(all_stories: list[TrialStory]) -> list[dict[str, str]]:
    """Each invariant of each trial: what it should read, what it read, and whether it
    held; one that could not be read says so with its reason, never as a pass."""
    rows = []
    for s in all_stories:
        for inv in s.trial.invariants:
            if inv.error:
                observed, result = f"{NULL} ({md_cell(redact(inv.error))})", "**NOT MEASURED**"
            else:
                observed, result = _sql_value(inv.observed), "PASS" if held(inv) else "**FAIL**"
            rows.append({"trial": str(s.n), "name": md_cell(redact(inv.name)),
                         "expect": _sql_value(inv.expect), "observed": observed,
                         "result": result})
    return rows


def _sql_value(value: Any) -> str:
    return "null" if value is None else md_cell(redact(num(value)))
