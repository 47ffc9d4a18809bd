"""People next to alerts: what the ``mark`` events of a game day say.

    gameday_view(stories(run))
    # [{"n": 1, "marks": [{"clock": "01:32:50.275 UTC", "offset": "fault +2.4 s",
    #                      "mark": "detected", "note": ..., "premature": False}, ...],
    #   "rows": [{"what": "noticed (time to detect)", "people": "12.3 s (at ...)",
    #             "alerts": "2.4 s (user-facing errors, at ...)"}, ...]}]

Only trials with marks appear. Every time is from the trial's record and its
events; a mark made after the trial ended (``chaos mark`` on a finished run)
was never accepted, so it cannot be here.
"""

from __future__ import annotations

from typing import Any

from chaos.measure.eventkinds import Kind
from chaos.measure.timeline import first_event
from chaos.report.story import TrialStory
from chaos.report.text import NULL, offset, redact, seconds


def _at(story: TrialStory, e: dict[str, Any] | None) -> str:
    return f" at {story.when(e['t'], e.get('wall'))}" if e is not None else ""


def _since(story: TrialStory, e: dict[str, Any] | None) -> float | None:
    return story.since_fault(e["t"]) if e is not None else None


def _secs(value: Any) -> str:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return seconds(value) if ok and abs(value) < 1e9 else NULL


def marks(story: TrialStory) -> list[dict[str, Any]]:
    return [{"clock": story.when(e["t"], e.get("wall")),
             "offset": offset(story.since_fault(e["t"])),
             "mark": e.get("mark", "note"), "note": redact(e["note"]) if e.get("note") else None,
             "by": e.get("by"), "premature": bool(e.get("premature"))}
            for e in story.events if e.get("kind") == Kind.MARK]


def rows(story: TrialStory) -> list[dict[str, str]]:
    """Human versus alert, metric by metric, with the wall-clock time of each."""
    t, ev, t0 = story.trial, story.events, story.t_fault
    human = first_event(ev, Kind.MARK, after=t0, mark="detected")
    alert = first_event(ev, Kind.DETECTOR_FIRED, after=t0)
    said = first_event(ev, Kind.MARK, after=t0, mark="recovered")
    held = first_event(ev, Kind.RECOVERED, after=t0)
    alerts = "no alert fired"
    if alert is not None:
        alerts = (f"{seconds(_since(story, alert))} ({alert.get('name', '?')}, "
                  f"at {story.when(alert['t'], alert.get('wall'))})")
    out = [{"what": "noticed (time to detect)", "alerts": alerts,
            "people": f"{seconds(_since(story, human))}{_at(story, human)}" if human
            else "never marked"}]
    human_tta, alert_tta = _secs(t.human_tta_s), _secs(t.tta_s)
    if (human_tta, alert_tta) != (NULL, NULL):
        out.append({"what": "acted (time to acknowledge)", "people": human_tta,
                    "alerts": alert_tta})
    premature = sum(1 for m in marks(story) if m["premature"])
    out.append({"what": "recovered (people said / steady state held)",
                "people": (f"{seconds(_since(story, said))}{_at(story, said)}" if said
                           else "never marked")
                + (f"; {premature} premature mark{'s' if premature != 1 else ''}"
                   if premature else ""),
                "alerts": f"{seconds(_since(story, held))}{_at(story, held)}" if held
                else "steady state never held"})
    return out


#: What the merged game-day timeline shows, and how each kind reads.
TEAM_KINDS: dict[str, str] = {
    Kind.JOINED: "joined", Kind.BLIND_CHOICE: "chosen blind", Kind.FAULT_CHOSEN: "fault chosen",
    Kind.FAULT_INJECTED: "fault injected", Kind.FAULT_REVERTED: "fault reverted",
    Kind.REVEALED: "revealed", Kind.DETECTOR_FIRED: "alert", Kind.MARK: "",
    Kind.RECOVERY_STARTED: "recovery started", Kind.STEP_STARTED: "runbook step started",
    Kind.STEP_DONE: "runbook step done", Kind.STEP_FAILED: "runbook step failed",
    Kind.MITIGATED: "errors stopped (steady state)",
    Kind.RECOVERED: "recovered (steady state held)"}


def participants(story: TrialStory) -> list[dict[str, str]]:
    """Everyone who joined or acted, with their role, in the order they first appear."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for e in story.events:
        if e.get("by") and e.get("role"):
            seen.setdefault((str(e["by"]), str(e["role"])),
                            {"name": str(e["by"]), "role": str(e["role"])})
    return list(seen.values())


def fault_said(story: TrialStory) -> str:
    """What was injected, as the reveal said it (or as the record has it, unrevealed)."""
    revealed = first_event(story.events, Kind.REVEALED)
    if revealed is not None and revealed.get("faults"):
        return "; ".join(f"{f.get('type')}{' on ' + str(f['target']) if f.get('target') else ''}"
                         f" at {story.when(f['at_s'], f.get('wall'))}"
                         for f in revealed["faults"])
    injected = [e for e in story.events if e.get("kind") == Kind.FAULT_INJECTED]
    if not injected:
        return "no fault was injected"
    return "; ".join(f"{e.get('fault')} at {story.when(e['t'], e.get('wall'))}"
                     for e in injected) + " (never revealed during the trial)"


def _what(e: dict[str, Any]) -> str:
    kind = e.get("kind", "")
    if kind == Kind.MARK:
        return str(e.get("mark")) + (f": {e['note']}" if e.get("note") else "")
    if kind == Kind.DETECTOR_FIRED:
        return f"alert: {e.get('name', '?')}"
    if kind.startswith("step_"):
        return f"{TEAM_KINDS[kind]}: {e.get('step', '?')}"
    if kind in (Kind.FAULT_INJECTED, Kind.FAULT_REVERTED, Kind.FAULT_CHOSEN):
        return f"{TEAM_KINDS[kind]}: {e.get('fault', '?')}"
    if kind == Kind.BLIND_CHOICE:
        return (f"chosen blind ({e.get('choose')}, seed {e.get('seed')})"
                + (f": {e.get('fault')} at {e.get('at_s')} s" if e.get("fault") else ""))
    return str(TEAM_KINDS.get(kind, kind))


def team_timeline(story: TrialStory) -> list[dict[str, Any]]:
    return [{"clock": story.when(e["t"], e.get("wall")),
             "offset": offset(story.since_fault(e["t"])), "what": redact(_what(e)),
             "by": e.get("by"), "role": e.get("role")}
            for e in sorted(story.events, key=lambda e: e["t"])
            if e.get("kind") in TEAM_KINDS]


def diagnoses(story: TrialStory) -> list[dict[str, Any]]:
    return [{"clock": story.when(e["t"], e.get("wall")),
             "offset": offset(story.since_fault(e["t"])),
             "by": e.get("by"), "note": redact(e.get("note") or "")}
            for e in story.events if e.get("kind") == Kind.MARK and e.get("mark") == "diagnosis"]


def expectations(story: TrialStory) -> list[dict[str, Any]]:
    """The people's targets (``human_ttd``...), in their JSON form: the templates' rows."""
    return [t.as_dict() for t in story.trial.targets if t.metric.startswith("human_")]


def gameday_view(all_stories: list[TrialStory]) -> list[dict[str, Any]]:
    return [{"n": s.n, "marks": marks(s), "rows": rows(s), "participants": participants(s),
             "fault": fault_said(s), "timeline": team_timeline(s), "diagnoses": diagnoses(s),
             "expect": expectations(s), "human_ttd_by": s.trial.human_ttd_by,
             "human_vs_alert_s": s.trial.human_vs_alert_s}
            for s in all_stories if any(e.get("kind") == Kind.MARK for e in s.events)]
