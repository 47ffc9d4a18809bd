"""Corrective and preventive measures, derived from what a run shows.

Each rule looks at one trial and may propose one measure under a category;
across trials a category appears once, with how many trials showed it. The
order is the order one would fix things in: the cause, then detection, then
response and recovery, then data.
"""

from __future__ import annotations

from typing import Any

from chaos.partregistry import detectors, faults, steps
from chaos.report.story import TrialStory, recovery
from chaos.report.text import num, redact, seconds

HANDLED_TARGETS = {"ttd", "tta", "ttr", "data_loss"}


def _target(trial: dict[str, Any], metric: str) -> dict[str, Any] | None:
    return next((t for t in trial.get("targets") or [] if t.get("metric") == metric), None)


def _missed(trial: dict[str, Any], metric: str) -> dict[str, Any] | None:
    t = _target(trial, metric)
    return t if t is not None and t.get("passed") is False else None


# The events whose part is asked for lessons: (kind, the field naming the part, registry).
_OWN_EVENTS = (("fault_applied", "fault", faults), ("step_done", "step", steps),
               ("alert_notified", "detector", detectors))


def _cause(story: TrialStory) -> list[tuple[str, str]]:
    """What the faults and steps suggest from their outcome (``lessons`` of each part)."""
    out: list[tuple[str, str]] = []
    for e in story.events:
        found = [(f, reg) for kind, f, reg in _OWN_EVENTS if e["kind"] == kind]
        if not found or e.get("error"):
            continue
        field, registry = found[0]
        part = registry.get(e[field]) if isinstance(e.get(field), str) else None
        try:
            lessons = part.lessons(e) if part is not None else []
        except Exception as exc:   # never stops a report, never hidden either
            lessons = [("part_error", f"{e[field]}: its lessons() failed: "
                                      f"{type(exc).__name__}: {exc}")]
        out.extend((str(key), redact(text)) for key, text in lessons or [])
    return out


def _detection(story: TrialStory) -> list[tuple[str, str]]:
    trial = story.record
    out: list[tuple[str, str]] = []
    if not trial.get("impact"):
        return out
    failed = trial.get("failed_requests")
    if trial.get("ttd_s") is None:
        out.append(("detect", f"Add a detector that sees this failure: users saw errors "
                              f"({num(failed)} failed requests) and no detector fired."))
    elif (miss := _missed(trial, "ttd")) is not None:
        out.append(("alert", f"Alert sooner: the first alert ({trial.get('detected_by') or '?'}) "
                             f"fired {seconds(trial['ttd_s'])} after the fault; the target is "
                             f"{seconds(miss.get('limit'))}."))
    for d in trial.get("detectors") or []:
        if d.get("type") == "http" and d.get("fired_t") is None:
            out.append(("health", f"The health check does not see this failure: "
                                  f"'{d.get('name', '?')}' stayed healthy while "
                                  f"{num(failed)} requests failed. Make it exercise the path "
                                  "users depend on (a real query, not just a process check)."))
    return out


def _response(story: TrialStory) -> list[tuple[str, str]]:
    trial = story.record
    out: list[tuple[str, str]] = []
    if (miss := _missed(trial, "tta")) is not None and trial.get("tta_s") is not None:
        out.append(("respond", f"Respond sooner: recovery started {seconds(trial['tta_s'])} after "
                               f"the alert; the target is {seconds(miss.get('limit'))}."))
    for e in story.events:
        if e["kind"] == "step_failed":
            out.append(("runbook", f"Fix the runbook: step {e.get('step', '?')} failed "
                                   f"({redact(e.get('error', 'no error recorded'))})."))
    rec = recovery(story)
    if trial.get("impact") and trial.get("ttr_s") is None and trial.get("status") == "completed":
        why = rec["outcome"] or "the steady state never held for its whole window"
        out.append(("recover", f"Make this failure recoverable: service was not restored "
                               f"within the time limit ({why})."))
    elif (miss := _missed(trial, "ttr")) is not None and trial.get("ttr_s") is not None:
        slow = max((e for e in story.events if e["kind"] == "step_done"),
                   key=lambda e: e.get("took_s") or 0, default=None)
        where = (f"; the slowest step was {slow.get('step')} ({seconds(slow.get('took_s'))})"
                 if slow else "")
        out.append(("recover_faster", f"Recover faster: service was restored "
                                      f"{seconds(trial['ttr_s'])} after the fault; the target "
                                      f"is {seconds(miss.get('limit'))}{where}."))
    return out


def _data(story: TrialStory) -> list[tuple[str, str]]:
    trial = story.record
    out: list[tuple[str, str]] = []
    loss = trial.get("data_loss") if isinstance(trial.get("data_loss"), dict) else None
    if loss and (loss.get("lost") or 0) > 0:
        restored = next((e for e in story.events if e["kind"] == "step_done"
                         and isinstance(e.get("snapshot_t"), (int, float))), None)
        since = story.since_fault(restored["snapshot_t"]) if restored else None
        age = -since if since is not None else None
        if age is not None and age >= 0:
            why = f"the backup restored was {seconds(age)} older than the fault"
        elif trial.get("rpo_s") is not None:
            why = (f"the newest write that survived was acknowledged "
                   f"{seconds(trial['rpo_s'])} before the fault")
        else:
            why = "no write acknowledged before the fault survived"
        out.append(("backups", f"Back up more often (or keep the write-ahead log for "
                               f"point-in-time recovery): {why}, losing {loss['lost']} "
                               "acknowledged writes."))
    if loss and (loss.get("unknown_missing") or 0) > 0:
        out.append(("unknown", f"Make writes safe to retry: {loss.get('unknown')} writes got no "
                               f"answer and {loss['unknown_missing']} of them are not in the "
                               "database; their clients cannot tell."))
    for inv in trial.get("invariants") or []:
        if isinstance(inv, dict) and inv.get("passed") is False and inv.get("error"):
            # Not evidence that the data is wrong: the check itself saw nothing.
            out.append((f"invariant:{inv.get('name')}",
                        f"Make the invariant '{inv.get('name', '?')}' readable after recovery: "
                        f"it was not checked ({redact(inv['error'])})."))
        elif isinstance(inv, dict) and inv.get("passed") is False:
            seen = f"observed {num(inv.get('observed'))}, expected {num(inv.get('expect'))}"
            out.append((f"invariant:{inv.get('name')}",
                        f"Repair the data the recovery left wrong: invariant "
                        f"'{inv.get('name', '?')}' failed after recovery ({seen})."))
    return out


def _other_targets(story: TrialStory) -> list[tuple[str, str]]:
    out = []
    for t in story.record.get("targets") or []:
        if t.get("passed") is False and t.get("metric") not in HANDLED_TARGETS:
            out.append((f"target:{t.get('metric')}",
                        f"Meet the {t.get('metric')} target: observed {num(t.get('observed'))}, "
                        f"limit {num(t.get('limit'))}."))
    return out


RULES = (_cause, _detection, _response, _data, _other_targets)


def corrective_measures(stories: list[TrialStory]) -> list[str]:
    found: dict[str, tuple[str, set[int]]] = {}   # category -> (first text, trials showing it)
    for rule in RULES:
        for story in stories:
            for category, text in rule(story):
                found.setdefault(category, (text, set()))[1].add(story.n)
    if len(stories) <= 1:
        return [text for text, _ in found.values()]
    return [f"{text} (seen in {len(trials)} of {len(stories)} trials)"
            for text, trials in found.values()]
