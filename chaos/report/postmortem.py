"""postmortem.md: the run told in the seed incident's own post-mortem format.

    Issue Summary · Timeline · Root Cause · Resolution and Recovery ·
    Corrective and Preventive Measures · Metrics versus targets

``render(run)`` builds a view (plain dicts and strings, every number already
formatted) and fills ``templates/postmortem.md.j2`` with it. Whatever is
missing from an aborted or partial run renders as "—" with the reason, never as
a made-up value.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from chaos.measure.eventkinds import Kind
from chaos.record import DataLossRecord, IndicatorRecord, Run, ScenarioRecord, TrialRecord
from chaos.record.judged import met_everything, verdict
from chaos.report.gameday import gameday_view
from chaos.report.lessons import corrective_measures
from chaos.report.partviews import report_sections
from chaos.report.story import TrialStory, peak_failure, recovery, root_causes, stories, timeline
from chaos.report.tables import invariant_rows, run_table, summary_rows, trial_rows, trial_table
from chaos.report.text import NULL, md_cell, md_text, num, offset, percent, redact, seconds

TEMPLATES = Path(__file__).with_name("templates")


def _spread(values: list[float]) -> str:
    if not values:
        return NULL
    if min(values) == max(values):
        return seconds(values[0])
    middle = seconds(statistics.median(values))
    return f"median {middle} (range {seconds(min(values))} – {seconds(max(values))})"


def _duration(all_stories: list[TrialStory]) -> str:
    trials = [s.trial for s in all_stories if s.measured]
    if not trials:
        seen = [w for s in all_stories if (w := s.sampled_errors()) is not None]
        if not seen:
            return "not recorded: the run stopped before measuring"
        first, last = min(w[0] for w in seen), max(w[1] for w in seen)
        return (f"not recorded: the run stopped before measuring; the per-second samples show "
                f"errors from {seconds(first)} to {seconds(last)} after the fault")
    outages = [t.outage_s for t in trials if t.outage_s is not None]
    restored = [t.ttr_s for t in trials if t.ttr_s is not None]
    impacted = [t for t in trials if t.impact]
    if not impacted:
        return "no impact: " + _watched(trials[0])
    text = (f"the service was outside its objectives for {_spread(outages)} (impact to "
            "mitigation)" if outages else "the service left its objectives")
    text += (f"; service was restored {_spread(restored)} after the fault" if restored
             else "; service was not restored")
    if restored and len(restored) < len(impacted):
        text += f" ({len(impacted) - len(restored)} of {len(impacted)} trials never recovered)"
    return text


def _watched(trial: TrialRecord) -> str:
    names = [i.name for i in trial.indicators]
    return ("no indicator left its objective after the fault (watched: "
            f"{', '.join(names) or 'errors (the request error ratio)'})")


def indicator_text(ind: IndicatorRecord, t_fault: float | None) -> str:
    """One breached indicator in words: "backlog (sql, below 100) outside from fault +5.0 s
    for 62.0 s, worst 1,240"."""
    name, kind, objective = ind.name, ind.type, ind.objective
    first = ind.first_out_t
    since = offset(first - t_fault) if first is not None and t_fault is not None \
        else "after the fault"
    held = "until the trial ended" if ind.still_out else f"for {seconds(ind.out_s)}"
    worst = ind.worst
    shown = (percent(worst) if kind in ("error_rate", "throughput") else
             seconds(worst) if kind == "latency" else f"{worst:,.6g}") \
        if isinstance(worst, (int, float)) else None
    text = f"{name} ({kind}, {objective}) outside from {since} {held}"
    if kind == "throughput" and shown:
        return text + f", down to {shown} of the baseline"
    return text + (f", worst {shown}" if shown else "")


def indicators_line(all_stories: list[TrialStory]) -> str:
    """Which indicators left their objective, in the first trial with impact."""
    for s in all_stories:
        breached = [i for i in s.trial.indicators if i.breached]
        if breached:
            head = f"trial {s.n}: " if len(all_stories) > 1 else ""
            return head + "; ".join(indicator_text(i, s.t_fault) for i in breached)
    measured = [s.trial for s in all_stories if s.measured]
    return ("no impact: " + _watched(measured[0])) if measured else NULL


def _requests(all_stories: list[TrialStory]) -> str:
    failed = total = 0
    from_samples = False
    for s in all_stories:
        if s.measured:
            failed += s.trial.failed_requests or 0
            total += s.trial.total_requests or 0
        else:
            from_samples = from_samples or bool(s.samples)
            failed += sum(x.get("failed") or 0 for x in s.samples)
            total += sum(x.get("requests") or 0 for x in s.samples)
    text = f"{failed} of {total} requests failed ({percent(failed / total) if total else NULL})"
    return text + (" (counted from the per-second samples)" if from_samples else "")


def issue_summary(all_stories: list[TrialStory], scenario: ScenarioRecord) -> dict[str, Any]:
    peaks = [(p, s) for s in all_stories if (p := peak_failure(s)) is not None]
    peak = max(peaks, key=lambda ps: ps[0].ratio, default=None)
    peak_text = "unknown: no per-second samples were recorded" if peak is None else (
        peak[0].text + (f", trial {peak[1].n}" if len(all_stories) > 1 else ""))
    impact = [_requests(all_stories),
              _loss_text([s.trial.data_loss for s in all_stories],
                         [s.trial.data_loss_note for s in all_stories])]
    causes = list(dict.fromkeys(line for s in all_stories for line in root_causes(s, scenario)))
    return {"duration": _duration(all_stories), "peak": peak_text, "impact": "; ".join(impact),
            "indicators": indicators_line(all_stories),
            "root_cause": "; ".join(causes[:3]) or _no_trial_causes(scenario)}


def _no_trial_causes(scenario: ScenarioRecord) -> str:
    return "; ".join(root_causes(TrialStory(0, TrialRecord(trial=0, status="unknown"), [], []),
                                 scenario))


def _loss_text(losses: list[DataLossRecord | None], notes: Sequence[str | None] = ()) -> str:
    checked = [d for d in losses if d is not None]
    if not checked:
        why = next((n for n in notes if n), "not measured")
        return f"lost writes {why}"
    lost = sum(d.lost for d in checked)
    acked = sum(d.acknowledged or 0 for d in checked)
    text = f"{lost} of {acked} acknowledged writes lost"
    unknown = sum(d.unknown or 0 for d in checked)
    if unknown:
        text += f", {unknown} writes with unknown outcome"
    if len(checked) < len(losses):
        text += f" (not measured in {len(losses) - len(checked)} trials)"
    return text


def detectors_text(all_stories: list[TrialStory]) -> list[str]:
    """Each detector: when it fired (one trial), or in how many trials and how fast (several)."""
    fired: dict[tuple[str, str], list[float | None]] = {}
    for story in all_stories:
        for d in story.trial.detectors:
            fired.setdefault((d.name, d.type), []).append(story.since_fault(d.fired_t))
    out = []
    for (name, kind), times in fired.items():
        hits = [t for t in times if t is not None]
        if len(all_stories) == 1:
            story = all_stories[0]
            when = (f"fired at {story.when(story.t_fault + hits[0])} ({seconds(hits[0])} after "
                    "the fault)" if hits and story.t_fault is not None else "never fired")
        elif hits:
            when = f"fired in {len(hits)} of {len(times)} trials, {_spread(hits)} after the fault"
        else:
            when = f"never fired in {len(times)} trials"
        out.append(f"{name} ({kind}): {when}")
    return out


def _or_event(story: TrialStory, recorded: float | None, kind: Kind) -> str | None:
    """A time metric as recorded, or, for a trial never measured, from its event."""
    if recorded is not None:
        return seconds(recorded)
    if story.measured:
        return None
    return seconds(story.since_fault(story.first(kind)))


def endpoint_rows(trial: TrialRecord) -> list[dict[str, str]]:
    """Requests by name: which endpoints failed, from when to when after the fault."""
    rows = []
    for e in trial.requests_by_name:
        first, last = e.first_failure_s, e.last_failure_s
        when = f"{offset(first)} → {offset(last)}" if first is not None and last is not None \
            else "—"
        rows.append({"name": md_cell(redact(e.name)), "total": num(e.total),
                     "failed": num(e.failed), "when": when,
                     "statuses": md_cell(", ".join(f"{k} ×{v}"
                                                   for k, v in e.failed_statuses.items()))
                     or "—"})
    return rows


def load_host_rows(trial: TrialRecord) -> list[dict[str, str]]:
    """The hosts that sent the load, when there was more than this one (``local``)."""
    hosts = trial.load_hosts
    if [h.name for h in hosts] in ([], ["local"]):
        return []
    rows = []
    for h in hosts:
        off, unc = h.offset_s, h.offset_uncertainty_s
        clock = "—" if off is None else f"{off * 1000:+.1f} ms ± {(unc or 0) * 1000:.1f} ms"
        if h.uncertain:
            clock += " (uncertain)"
        state = (f"LOST at {seconds_since(h.lost_at)}, {h.in_flight_at_loss} "
                 f"in flight, {h.unknown_writes} writes unknown" if h.lost else "to the end")
        rows.append({"name": md_cell(h.name), "address": md_cell(h.address or "?"),
                     "locust": md_cell(h.locust or "?"), "users": num(h.users),
                     "clock": clock, "sent": f"{num(h.sent)} / {num(h.received)}",
                     "state": state})
    return rows


def planned_faults(scenario: ScenarioRecord) -> list[str]:
    """Each fault as the scenario wrote it, with its own parameters (masked when written):
    what was injected, readable without the part installed."""
    out = []
    for f in scenario.faults:
        when = f"at {num(f.at_s)} s" + (f" for {num(f.duration_s)} s" if f.duration_s else "")
        params = ", ".join(f"{k}={_param(v)}" for k, v in f.params.items() if v is not None)
        out.append(md_cell(redact(f"{f.type} {when}" + (f": {params}" if params else ""))))
    return out


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."


def seconds_since(wall: float | None) -> str:
    if wall is None:
        return "?"
    return datetime.fromtimestamp(wall, UTC).strftime("%H:%M:%S.%f")[:-3] + " UTC"


def trial_view(story: TrialStory) -> dict[str, Any]:
    t = story.trial
    at = story.at(story.events[0]["t"]) if story.events else None
    return {"n": story.n, "status": t.status, "end_reason": t.end_reason,
            "date": at.date().isoformat() if at else None, "timeline": timeline(story),
            "recovery": recovery(story),
            "ttm": _or_event(story, t.ttm_s, Kind.MITIGATED),
            "ttr": _or_event(story, t.ttr_s, Kind.RECOVERED),
            "tta": seconds(t.tta_s) if t.tta_s is not None else None,
            "endpoints": endpoint_rows(t), "load_hosts": load_host_rows(t),
            "notes": [redact(n) for n in t.notes]}


def banner(run: Run) -> str | None:
    status = run.record.status
    if status == "aborted":
        reason = redact(run.record.abort_reason or "no reason recorded")
        return f"**This run was aborted**: {reason}."
    if status == "running":
        return ("**This run did not finish**: result.json still says it is running, so the "
                "process recording it stopped without a word (killed, or the machine went down).")
    if status != "completed":
        return f"**This run's status is {status!r}**, not completed."
    return None


def view(run: Run) -> dict[str, Any]:
    r, all_stories = run.record, stories(run)
    limits = dict(r.scenario.targets)
    completed = sum(1 for t in r.trials if t.status == "completed")
    return {
        "title": r.scenario.name, "run_id": r.run_id, "label": r.label,
        "started": r.started or NULL, "finished": r.finished or NULL,
        # passed: nothing missed, no invariant broken (the verdict says what was missed)
        "banner": banner(run), "passed": met_everything(r), "verdict": verdict(r),
        "description": " ".join((r.scenario.description or "").split()),
        "trial_count": len(r.trials), "completed": completed,
        "summary": issue_summary(all_stories, r.scenario),
        "root_causes": list(dict.fromkeys(line for s in all_stories
                                          for line in root_causes(s, r.scenario)))
        or [_no_trial_causes(r.scenario)],
        "planned": planned_faults(r.scenario),
        "trials": [trial_view(s) for s in all_stories],
        "detectors": detectors_text(all_stories),
        "part_sections": report_sections(run, all_stories),
        "measures": corrective_measures(all_stories),
        "table": (trial_table(all_stories[0], limits) if len(all_stories) == 1
                  else run_table(run, all_stories)),
        "invariants": invariant_rows(all_stories),
        "summary_rows": summary_rows(run) if len(all_stories) > 1 else [],
        "trial_rows": trial_rows(all_stories) if len(all_stories) > 1 else [],
        "input_notes": run.notes,
        "gameday": gameday_view(all_stories),
        "chart": "chart.png" if any(s.samples or s.events for s in all_stories) else None,
        "indicator_chart": "indicators.png" if any(
            i.name != "errors" and i.series
            for s in all_stories for i in s.trial.indicators) else None,
    }


def render(run: Run) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["mdtext"] = md_text   # people's names and notes: text, never markup
    return env.get_template("postmortem.md.j2").render(**view(run))
