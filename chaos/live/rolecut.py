"""What each role receives: the one place where the live state is cut per person.

    view(full_state, Role.RESPONDER, blind=True)

Everything a page, the API or the live stream sends goes through ``view``. The
facilitator sees everything. In a blind game day, until the reveal or the end of
the trial, responders and observers get nothing that gives the fault away: not
its type, target or instant (no fault events, no ``t_fault``, no phase that flips
at the injection, no annotation drawn from them), not the scenario's name or
description (which usually say what breaks), not the run id (it holds the
scenario file's name), not the runbook (its steps hint at the cause). What they
keep is what a team has in a real incident: the service's requests, errors and
latency, its indicators, the alerts as they fire, the pages as their pager shows
them (``page``: the alert's name, severity and summary, from the user's own
rules), and people's marks.
"""

from __future__ import annotations

from typing import Any

from chaos.live.access import Role

#: Event kinds a blind participant may see, and of those events only these fields.
#: Not ``baseline_held``: it is stamped at the instant of the injection it lets through.
BLIND_KINDS = frozenset({"trial_started", "load_started", "detector_fired",
                         "mark", "joined", "revealed", "recovery_started", "step_started",
                         "step_done", "step_failed", "recovery_finished", "mitigated",
                         "recovered", "alert_notified", "alert_resolved"})
BLIND_FIELDS = frozenset({"t", "wall", "kind", "trial", "mark", "note", "by", "role", "name",
                          "premature", "confirmed", "page"})
#: Step events keep which step ran (people ran it), not its parameters.
STEP_FIELDS = frozenset({"step"})
#: Phases that differ only by whether a fault is in place read the same, blind.
BLIND_PHASES = {"steady": "running", "fault active": "running"}
BLIND_NAME = "game day (blind)"


def view(state: dict[str, Any], role: Role, blind: bool) -> dict[str, Any]:
    """``state`` as ``role`` may see it; ``blind``: the fault is not revealed yet."""
    out = {**state, "role": str(role), "blind": blind}
    if role is not Role.FACILITATOR:
        out.pop("choices", None)        # the faults the facilitator may inject
        out.pop("blind_choice", None)
    if not blind or role is Role.FACILITATOR:
        return out
    scenario = state.get("scenario") or {}
    status = state.get("status") or {}
    phase = str(status.get("phase", ""))
    out.update(
        run_id="",
        scenario={"name": BLIND_NAME, "description": "",
                  "time_limit_s": scenario.get("time_limit_s"),
                  "steady_below": scenario.get("steady_below"), "trigger": "manual"},
        status={"phase": BLIND_PHASES.get(phase, phase),
                "elapsed_s": status.get("elapsed_s"), "remaining_s": status.get("remaining_s"),
                "confirmed": status.get("confirmed"),
                "indicators": status.get("indicators", [])},
        steps=[],
        events=[blind_event(e) for e in state.get("events", []) if e.get("kind") in BLIND_KINDS],
    )
    return out


def blind_event(event: dict[str, Any]) -> dict[str, Any]:
    keep = BLIND_FIELDS | (STEP_FIELDS if str(event.get("kind", "")).startswith("step_")
                           else frozenset())
    return {k: v for k, v in event.items() if k in keep}
