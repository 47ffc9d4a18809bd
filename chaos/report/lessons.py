"""Corrective and preventive measures, derived from what a run shows.

Each rule looks at one trial and may propose one measure under a category;
across trials a category appears once, with how many trials showed it. The
order is the order one would fix things in: the cause, then detection, then
response and recovery, then data.
"""

from __future__ import annotations

from chaos.measure.eventkinds import Kind
from chaos.partregistry import detectors, faults, steps
from chaos.record import TargetResult, TrialRecord
from chaos.report.story import TrialStory, recovery
from chaos.report.text import num, redact, seconds

HANDLED_TARGETS = {"ttd", "tta", "ttr", "data_loss"}


def _target(trial: TrialRecord, metric: str) -> TargetResult | None:
    return next((t for t in trial.targets if t.metric == metric), None)


def _missed(trial: TrialRecord, metric: str) -> TargetResult | None:
    t = _target(trial, metric)
    return t if t is not None and t.passed is False else None


# The events whose part is asked for lessons: (kind, the field naming the part, registry).
_OWN_EVENTS = ((Kind.FAULT_APPLIED, "fault", faults), (Kind.STEP_DONE, "step", steps),
               (Kind.ALERT_NOTIFIED, "detector", detectors))


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
    trial = story.trial
    out: list[tuple[str, str]] = []
    if not trial.impact:
        return out
    failed = trial.failed_requests
    if trial.ttd_s is None:
        out.append(("detect", f"Add a detector that sees this failure: users saw errors "
                              f"({num(failed)} failed requests) and no detector fired."))
    elif (miss := _missed(trial, "ttd")) is not None:
        out.append(("alert", f"Alert sooner: the first alert ({trial.detected_by or '?'}) "
                             f"fired {seconds(trial.ttd_s)} after the fault; the target is "
                             f"{seconds(miss.limit)}."))
    for d in trial.detectors:
        if d.type == "http" and d.fired_t is None:
            out.append(("health", f"The health check does not see this failure: "
                                  f"'{d.name}' stayed healthy while "
                                  f"{num(failed)} requests failed. Make it exercise the path "
                                  "users depend on (a real query, not just a process check)."))
    return out


def _response(story: TrialStory) -> list[tuple[str, str]]:
    trial = story.trial
    out: list[tuple[str, str]] = []
    if (miss := _missed(trial, "tta")) is not None and trial.tta_s is not None:
        out.append(("respond", f"Respond sooner: recovery started {seconds(trial.tta_s)} after "
                               f"the alert; the target is {seconds(miss.limit)}."))
    for e in story.events:
        if e["kind"] == Kind.STEP_FAILED:
            out.append(("runbook", f"Fix the runbook: step {e.get('step', '?')} failed "
                                   f"({redact(e.get('error', 'no error recorded'))})."))
    rec = recovery(story)
    if trial.impact and trial.ttr_s is None and trial.status == "completed":
        why = rec["outcome"] or "the steady state never held for its whole window"
        out.append(("recover", f"Make this failure recoverable: service was not restored "
                               f"within the time limit ({why})."))
    elif (miss := _missed(trial, "ttr")) is not None and trial.ttr_s is not None:
        slow = max((e for e in story.events if e["kind"] == Kind.STEP_DONE),
                   key=lambda e: e.get("took_s") or 0, default=None)
        where = (f"; the slowest step was {slow.get('step')} ({seconds(slow.get('took_s'))})"
                 if slow else "")
        out.append(("recover_faster", f"Recover faster: service was restored "
                                      f"{seconds(trial.ttr_s)} after the fault; the target "
                                      f"is {seconds(miss.limit)}{where}."))
    return out


def _data(story: TrialStory) -> list[tuple[str, str]]:
    trial = story.trial
    out: list[tuple[str, str]] = []
    loss = trial.data_loss
    if loss is not None and loss.lost > 0:
        restored = next((e for e in story.events if e["kind"] == Kind.STEP_DONE
                         and isinstance(e.get("snapshot_t"), (int, float))), None)
        since = story.since_fault(restored["snapshot_t"]) if restored else None
        age = -since if since is not None else None
        if age is not None and age >= 0:
            why = f"the backup restored was {seconds(age)} older than the fault"
        elif trial.rpo_s is not None:
            why = (f"the newest write that survived was acknowledged "
                   f"{seconds(trial.rpo_s)} before the fault")
        else:
            why = "no write acknowledged before the fault survived"
        out.append(("backups", f"Back up more often (or keep the write-ahead log for "
                               f"point-in-time recovery): {why}, losing {loss.lost} "
                               "acknowledged writes."))
    if loss is not None and (loss.unknown_missing or 0) > 0:
        out.append(("unknown", f"Make writes safe to retry: {loss.unknown} writes got no "
                               f"answer and {loss.unknown_missing} of them are not in the "
                               "database; their clients cannot tell."))
    for inv in trial.invariants:
        if inv.passed is False and inv.error:
            # Not evidence that the data is wrong: the check itself saw nothing.
            out.append((f"invariant:{inv.name}",
                        f"Make the invariant '{inv.name}' readable after recovery: "
                        f"it was not checked ({redact(inv.error)})."))
        elif inv.passed is False:
            seen = f"observed {num(inv.observed)}, expected {num(inv.expect)}"
            out.append((f"invariant:{inv.name}",
                        f"Repair the data the recovery left wrong: invariant "
                        f"'{inv.name}' failed after recovery ({seen})."))
    return out


def _other_targets(story: TrialStory) -> list[tuple[str, str]]:
    out = []
    for t in story.trial.targets:
        if t.passed is False and t.metric not in HANDLED_TARGETS:
            out.append((f"target:{t.metric}",
                        f"Meet the {t.metric} target: observed {num(t.observed)}, "
                        f"limit {num(t.limit)}."))
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
