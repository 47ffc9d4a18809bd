"""postmortem.md: the run told in the seed incident's own post-mortem format.

    Issue Summary · Timeline · Root Cause · Resolution and Recovery ·
    Corrective and Preventive Measures · Metrics versus targets

``render(run)`` builds a view (plain dicts and strings, every number already
formatted) and fills ``templates/postmortem.md.j2`` with it. Whatever is
missing from an aborted or partial run renders as "—" with the reason, never as
a made-up value.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import jinja2

from chaos.measure.targets import TARGET_FIELDS, lookup
from chaos.report.measures import corrective_measures
from chaos.report.record import Run
from chaos.report.story import TrialStory, peak_failure, recovery, root_causes, timeline
from chaos.report.text import NULL, md_cell, num, percent, redact, seconds

TEMPLATES = Path(__file__).with_name("templates")
TIME_TARGETS = {"ttd", "tta", "ttm", "ttr", "outage", "rpo"}
ROWS = ("ttd", "tta", "ttm", "ttr", "outage", "failed_requests", "data_loss", "rpo")
LABELS = {"ttd": "time to detect", "tta": "time to acknowledge", "ttm": "time to mitigate",
          "ttr": "time to recover", "outage": "outage (first to last error)",
          "failed_requests": "failed requests", "data_loss": "lost acknowledged writes",
          "rpo": "recovery point", "error_budget_burned": "error budget burned"}


def stories(run: Run) -> list[TrialStory]:
    return [TrialStory(t["trial"], t, run.events.get(t["trial"], []), run.samples.get(t["trial"], []))
            for t in run.trials]


def null_reason(story: TrialStory, metric: str) -> str:
    """Why a metric of this trial has no value, in the words the tables use."""
    trial = story.record
    if trial.get("status") != "completed":
        return "trial aborted"
    if story.t_fault is None:
        return "no fault injected"
    if metric in ("data_loss", "rpo") and not isinstance(trial.get("data_loss"), dict):
        return "not verified"
    if metric == "rpo":
        return "no write acknowledged before the fault survived"
    if not trial.get("impact"):
        return "no impact"
    if metric == "ttd" or (metric == "tta" and trial.get("ttd_s") is None):
        return "never detected"
    if metric == "tta":
        return "no recovery started"
    return "not recovered"


def _value(metric: str, value: Any, trial: dict[str, Any] | None = None) -> str:
    if metric in TIME_TARGETS:
        return f"{num(value)} s"
    if metric == "failed_requests" and trial and trial.get("total_requests") is not None:
        return f"{num(value)} of {num(trial['total_requests'])}"
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
    trial = story.record
    checked = {t.get("metric"): t for t in trial.get("targets") or []}
    rows = []
    for metric in list(ROWS) + [m for m in limits if m not in ROWS]:
        value = lookup(trial, TARGET_FIELDS.get(metric, metric))
        shown = _value(metric, value, trial) if value is not None else f"{NULL} ({null_reason(story, metric)})"
        verdict = checked.get(metric, {}).get("passed") if metric in limits else None
        if metric in limits and verdict is None:
            verdict = False  # a target no trial result speaks for is not met
        rows.append(_row(metric, shown, limits.get(metric), verdict))
    return rows


def run_table(run: Run, all_stories: list[TrialStory]) -> list[dict[str, str]]:
    """Targets across trials: observed is the worst trial, as result.json reports it."""
    rows = []
    for t in run.targets:
        metric = t.get("metric", "?")
        if t.get("observed") is not None:
            shown = _value(metric, t["observed"])
        else:
            reasons = sorted({null_reason(s, metric) for s in all_stories}) or ["no trial"]
            shown = f"{NULL} ({', '.join(reasons)})"
        rows.append(_row(metric, shown, t.get("limit"), bool(t.get("passed"))))
    return rows


def summary_rows(run: Run) -> list[dict[str, str]]:
    rows = []
    for metric, s in run.summary.items():
        if not isinstance(s, dict):
            continue
        rows.append({"metric": md_cell(metric), "n": num(s.get("n")), "nulls": num(s.get("nulls")),
                     **{k: num(s.get(k)) for k in ("median", "min", "max", "p90")}})
    return rows


def trial_rows(all_stories: list[TrialStory]) -> list[dict[str, str]]:
    rows = []
    for s in all_stories:
        t = s.record
        lost = lookup(t, "data_loss.lost")
        rows.append({"trial": str(s.n), "status": f"{t.get('status', '?')} ({t.get('end_reason') or NULL})",
                     **{m: num(t.get(f"{m}_s")) for m in ("ttd", "tta", "ttm", "ttr", "outage")},
                     "failed": f"{num(t.get('failed_requests'))} / {num(t.get('total_requests'))}",
                     "lost": num(lost), "passed": "PASS" if t.get("passed") else "**FAIL**"})
    return rows


def _spread(values: list[float]) -> str:
    if not values:
        return NULL
    if len(values) == 1:
        return seconds(values[0])
    return f"median {seconds(statistics.median(values))} (range {seconds(min(values))} – {seconds(max(values))})"


def issue_summary(all_stories: list[TrialStory]) -> dict[str, Any]:
    trials = [s.record for s in all_stories]
    outages = [t["outage_s"] for t in trials if t.get("outage_s") is not None]
    restored = [t["ttr_s"] for t in trials if t.get("ttr_s") is not None]
    impacted = [t for t in trials if t.get("impact")]
    if not impacted:
        duration = "no user-visible impact: no request failed after the fault"
    else:
        duration = f"users saw errors for {_spread(outages)} (first to last failed request)"
        duration += (f"; service was restored {_spread(restored)} after the fault" if restored
                     else "; service was not restored")
        if len(restored) < len(impacted):
            duration += f" ({len(impacted) - len(restored)} of {len(impacted)} trials never recovered)"
    peaks = [(p, s) for s in all_stories if (p := peak_failure(s)) is not None]
    peak = max(peaks, key=lambda ps: ps[0]["ratio"], default=None)
    peak_text = "unknown: no per-second samples were recorded" if peak is None else (
        peak[0]["text"] + (f", trial {peak[1].n}" if len(all_stories) > 1 else ""))
    failed = sum(t.get("failed_requests") or 0 for t in trials)
    total = sum(t.get("total_requests") or 0 for t in trials)
    impact = [f"{failed} of {total} requests failed ({percent(failed / total) if total else NULL})"]
    impact.append(_loss_text([t.get("data_loss") for t in trials]))
    causes = list(dict.fromkeys(line for s in all_stories for line in root_causes(s, {})))
    return {"duration": duration, "peak": peak_text, "impact": "; ".join(impact),
            "root_cause": "; ".join(causes[:3]) or "no fault was recorded"}


def _loss_text(losses: list[Any]) -> str:
    checked = [d for d in losses if isinstance(d, dict)]
    if not checked:
        return "lost writes not verified"
    lost = sum(d.get("lost") or 0 for d in checked)
    acked = sum(d.get("acknowledged") or 0 for d in checked)
    text = f"{lost} of {acked} acknowledged writes lost"
    unknown = sum(d.get("unknown") or 0 for d in checked)
    if unknown:
        text += f", {unknown} writes with unknown outcome"
    if len(checked) < len(losses):
        text += f" (not verified in {len(losses) - len(checked)} trials)"
    return text


def detectors_text(story: TrialStory) -> list[str]:
    out = []
    for d in story.record.get("detectors") or []:
        fired = d.get("fired_t")
        when = (f"fired at {story.when(fired)} ({seconds(story.since_fault(fired))} after the fault)"
                if isinstance(fired, (int, float)) else "never fired")
        out.append(f"{d.get('name', '?')} ({d.get('type', '?')}): {when}")
    return out


def trial_view(story: TrialStory) -> dict[str, Any]:
    t = story.record
    at = story.at(story.events[0]["t"]) if story.events else None
    return {"n": story.n, "status": t.get("status", "unknown"), "end_reason": t.get("end_reason"),
            "date": at.date().isoformat() if at else None, "timeline": timeline(story),
            "recovery": recovery(story), "detectors": detectors_text(story),
            "ttm": seconds(t.get("ttm_s")) if t.get("ttm_s") is not None else None,
            "ttr": seconds(t.get("ttr_s")) if t.get("ttr_s") is not None else None,
            "tta": seconds(t.get("tta_s")) if t.get("tta_s") is not None else None,
            "notes": [redact(n) for n in t.get("notes") or []]}


def banner(run: Run) -> str | None:
    status = run.result.get("status")
    if status == "aborted":
        return f"**This run was aborted**: {redact(run.result.get('abort_reason') or 'no reason recorded')}."
    if status == "running":
        return ("**This run did not finish**: result.json still says it is running, so the "
                "process recording it stopped without a word (killed, or the machine went down).")
    if status != "completed":
        return f"**This run's status is {status!r}**, not completed."
    return None


def view(run: Run) -> dict[str, Any]:
    r, all_stories = run.result, stories(run)
    limits = run.scenario.get("targets") or {}
    completed = sum(1 for t in run.trials if t.get("status") == "completed")
    return {
        "title": r["scenario"]["name"], "run_id": r["run_id"], "label": r.get("label"),
        "started": r.get("started") or NULL, "finished": r.get("finished") or NULL,
        "banner": banner(run), "passed": bool(r.get("passed")),
        "description": " ".join(str(r["scenario"].get("description") or "").split()),
        "trial_count": len(run.trials), "completed": completed,
        "summary": issue_summary(all_stories),
        "root_causes": root_causes(all_stories[0], run.scenario) if all_stories
        else root_causes(TrialStory(0, {}, [], []), run.scenario),
        "trials": [trial_view(s) for s in all_stories],
        "measures": corrective_measures(all_stories),
        "table": trial_table(all_stories[0], limits) if len(all_stories) == 1 else run_table(run, all_stories),
        "summary_rows": summary_rows(run) if len(all_stories) > 1 else [],
        "trial_rows": trial_rows(all_stories) if len(all_stories) > 1 else [],
        "input_notes": run.notes,
    }


def render(run: Run) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    return env.get_template("postmortem.md.j2").render(**view(run))
