"""When a fault really took effect, and how long it really held.

A fault is injected at its ``at``, but it may take effect later: ``stop`` waits
for the process to exit (SIGKILL only after its grace period), ``lock_table`` for
its lock. A "60 s" stop of a worker that ignores SIGTERM held 50 s, and the
scenario's duration alone would never say so. So the timeline says it:

- ``fault_applied`` carries ``effective_t`` (trial clock: when the fault took
  effect; null when it never did, with ``not_effective`` saying why) and
  ``effect_after_s`` (``effective_t`` minus the injection instant);
- ``fault_reverted`` carries ``ended_t`` (when it stopped holding), ``held_s``
  (``ended_t - effective_t``; null when it never took effect) and ``planned_s``
  (the scenario's ``duration``).

A fault that observes these instants sets them in its ``detail`` (the container
faults read the engine's own record, chaos/lab/lifecycle.py); for any other,
``effective_t`` is when ``inject()`` returned and ``ended_t`` when ``revert()``
began. docs/faults.md says which, per fault.

    inject_and_mark(fault, clock, injected_t)    # the fault's worker (chaos/trial/faultschedule.py)
    reverted_fields(fault, reverting_t)          # the fields of its fault_reverted event
    shortfall_notes(events)                      # for the trial's notes
"""

from __future__ import annotations

from typing import Any

# "Noticeably less" than the scenario's duration: more than a second short, and more
# than 5 % of it (a stop honoured at once is short by a few hundred milliseconds).
SHORT_BY_S, SHORT_BY_SHARE = 1.0, 0.05


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _float(x: Any) -> float | None:
    return float(x) if _number(x) else None


def inject_and_mark(fault: Any, clock: Any, injected_t: float) -> None:
    """Run ``fault.inject()``; then, unless the fault said otherwise, it took effect now."""
    fault.inject()
    fault.detail.setdefault("effective_t", round(clock.now(), 3))
    effective = fault.detail["effective_t"]
    if _number(effective):
        fault.detail.setdefault("effect_after_s", round(effective - injected_t, 3))


def reverted_fields(fault: Any, reverting_t: float) -> dict[str, Any]:
    """``ended_t``, ``held_s`` and ``planned_s`` for a fault just reverted; ``reverting_t``
    is when ``revert()`` began (the end, unless the fault observed a better one)."""
    effective = fault.detail.get("effective_t")
    ended = fault.detail.get("ended_t")
    ended = round(ended if _number(ended) else reverting_t, 3)
    held = round(max(0.0, ended - effective), 3) if _number(effective) else None
    return {"ended_t": ended, "held_s": held, "planned_s": fault.spec.duration}


def shortfall_notes(events: list[dict[str, Any]]) -> list[str]:
    """One note per fault that never took effect, or held noticeably less than its
    scenario ``duration``; a pure function of the trial's events."""
    injected = {e.get("index"): e for e in events if e.get("kind") == "fault_injected"}
    applied = {e.get("index"): e for e in events if e.get("kind") == "fault_applied"}
    notes = []
    for i, a in applied.items():
        if a.get("error") or "effective_t" not in a or _number(a["effective_t"]):
            continue   # an error is noted already; a record from before effective_t says nothing
        why = f": {a['not_effective']}" if a.get("not_effective") else ""
        notes.append(f"fault {a.get('fault', '?')}{_at(injected.get(i))} never took effect{why}")
    for e in events:
        if e.get("kind") != "fault_reverted" or not _number(e.get("planned_s")):
            continue
        held, planned = _float(e.get("held_s")), float(e["planned_s"])
        if held is None or planned - held <= max(SHORT_BY_S, SHORT_BY_SHARE * planned):
            continue   # never took effect: noted above
        notes.append(_short_note(e, injected.get(e.get("index")), applied.get(e.get("index"))))
    return notes


def _at(injected: dict[str, Any] | None) -> str:
    return f" (injected at t={injected['t']:.1f} s)" if injected and _number(injected.get("t")) \
        else ""


def _short_note(reverted: dict[str, Any], injected: dict[str, Any] | None,
                applied: dict[str, Any] | None) -> str:
    held, planned = float(reverted["held_s"]), float(reverted["planned_s"])
    line = (f"fault {reverted.get('fault', '?')}{_at(injected)} held {held:.1f} s of its "
            f"{planned:g} s duration")
    why = []
    after = _float((applied or {}).get("effect_after_s"))
    if after is not None and after >= SHORT_BY_S:
        why.append(f"it took effect {after:.1f} s after injection")
    if injected and _number(injected.get("t")) and _number(reverted.get("ended_t")):
        early = injected["t"] + planned - reverted["ended_t"]
        if early >= SHORT_BY_S:
            why.append(f"it ended {early:.1f} s before its time (reverted early, or undone "
                       "by something else, e.g. a restart policy)")
    return line + (": " + "; ".join(why) if why else "")
