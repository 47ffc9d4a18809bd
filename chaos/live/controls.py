"""The levers people have on a running trial: marks, runbook steps, the end.

    controls = Controls(trial)
    controls.mark("detected", by="ana", role="responder")   # "we noticed", on the timeline now
    controls.mark("diagnosis", note="db paused?", by="ana", role="responder")
    controls.run_step(0, by="lee")             # a game day's runbook, one step at a time
    controls.reveal(by="lee")                  # a blind game day: say what was injected
    controls.mark("end", by="lee", role="facilitator")   # the facilitator ends the exercise

Marks are timeline events ``{kind: "mark", mark: ..., note: ..., by: ..., role: ...}``
stamped with the instant they arrive. A ``diagnosis`` is what responders think the
cause is; the debrief sets it beside the revealed fault.

A person saying ``recovered`` does not end anything: the steady state still
decides when service is restored, and a ``recovered`` mark made while requests
are still failing (or not being answered at all) carries ``premature: true``.
Called from the live server's threads; the trial's loop only ever sees flags and
finished events.
"""

from __future__ import annotations

import threading
from typing import Any

from chaos.errors import Refused, UsageError
from chaos.measure.eventkinds import Kind
from chaos.recover.runbook import run_steps
from chaos.trial.recovery import RecoveryBusy
from chaos.trial.status import TrialStatus

MARKS = ("detected", "mitigated", "recovered", "note", "diagnosis", "end")
NEEDS_TEXT = ("note", "diagnosis")
QUIET_S = 2.0   # no failure, and answers arriving, for this long: errors have stopped


class Controls:
    def __init__(self, trial: Any) -> None:
        self.trial = trial
        self.steps = list(trial.sc.recovery.steps)
        self.step_state = ["ready"] * len(self.steps)   # -> running, done, failed
        self._lock = threading.Lock()
        self._recovery_started = False
        self._recovery_finished = False

    @property
    def open(self) -> bool:
        is_open: bool = self.trial.status().open
        return is_open

    def mark(self, kind: str, note: str | None = None, by: str | None = None,
             role: str | None = None) -> dict[str, Any]:
        if kind not in MARKS:
            raise UsageError(f"unknown mark {kind!r}; expected one of: {', '.join(MARKS)}")
        if note is not None and not isinstance(note, str):
            raise UsageError("a note is text")
        note = "".join(c for c in (note or "") if c.isprintable() or c == "\n").strip()[:500]
        if kind in NEEDS_TEXT and not note:
            raise UsageError(f"a {kind} needs its text (--note TEXT)")
        if not self.open:
            raise Refused("the trial has ended; marks can no longer be added")
        detail: dict[str, Any] = {"mark": kind}
        if note:
            detail["note"] = note
        if by:
            detail["by"] = by
        if role:
            detail["role"] = role
        if kind == "recovered":
            detail["premature"] = self.errors_continue()
            detail["confirmed"] = self.trial.status().confirmed
        event: dict[str, Any] = self.trial.ctx.timeline.add(Kind.MARK, **detail)
        if kind == "end":
            self.trial.request_end()   # the loop ends; the trial reverts the faults
        return event

    def errors_continue(self) -> bool:
        """Whether, right now, users still see failures (or no answers at all), or any
        indicator is outside its objective."""
        s: TrialStatus = self.trial.status()
        if s.confirmed:
            return False
        if s.t_fault is None or s.last_answer_t is None:   # no fault yet: nothing to recover from
            return True
        failing = s.last_failure_t is not None and s.now - s.last_failure_t < QUIET_S
        stalled = s.now - s.last_answer_t >= QUIET_S
        return failing or stalled or bool(s.outside)

    def joined(self, name: str, role: str) -> None:
        self.trial.ctx.timeline.add(Kind.JOINED, by=name, role=role)

    def reveal(self, by: str) -> dict[str, Any]:
        """Say, on the timeline, which faults were injected, where and when (blind game day)."""
        with self._lock:
            events = self.trial.ctx.timeline.events
            if any(e["kind"] == "revealed" for e in events):
                raise Refused("the fault was already revealed")
            injected = [e for e in events if e["kind"] == "fault_injected"]
            specs = self.trial.sc.faults
            faults = [{"type": e.get("fault"), "at_s": e["t"], "wall": e.get("wall"),
                       **_target(specs[e["index"]] if 0 <= e.get("index", -1) < len(specs)
                                 else None)} for e in injected]
            event: dict[str, Any] = self.trial.ctx.timeline.add(
                Kind.REVEALED, by=by, role="facilitator", faults=faults,
                injected=bool(injected))
        return event

    def choices(self) -> list[dict[str, Any]]:
        """The faults a facilitator may inject now (``gameday.choose: facilitator``)."""
        gameday = getattr(self.trial.sc, "gameday", None)
        if gameday is None or not gameday.blind or gameday.choose != "facilitator":
            return []
        return [{"index": i, "type": f.type, "params": _params(f)}
                for i, f in enumerate(self.trial.sc.faults)]

    def inject(self, index: int, by: str) -> dict[str, Any]:
        """Inject fault ``index`` now: the facilitator's choice on a blind game day."""
        if not self.choices():
            raise Refused("this game day's fault is not the facilitator's to choose")
        if not 0 <= index < len(self.trial.sc.faults):
            raise UsageError(f"no fault {index}; the scenario has {len(self.trial.sc.faults)}")
        if not self.open:
            raise Refused("the trial has ended")
        if self.trial.status().t_fault is not None:
            raise Refused("a fault was already injected in this trial")
        self.trial.inject_now(index)
        self.trial.ctx.timeline.add(Kind.FAULT_CHOSEN, by=by, role="facilitator", index=index,
                                    fault=self.trial.sc.faults[index].type)
        return {"index": index, "fault": self.trial.sc.faults[index].type}

    def run_step(self, index: int, by: str | None = None) -> dict[str, Any]:
        """Start runbook step ``index`` on its own thread; it is timed on the timeline."""
        status = self.trial.status()
        if not status.manual:
            raise Refused("runbook steps run by hand only on a game day (recovery trigger manual)")
        if not 0 <= index < len(self.steps):
            raise UsageError(f"no runbook step {index}; the runbook has {len(self.steps)}")
        if status.t_fault is None:
            raise Refused("the fault has not been injected yet")
        with self._lock:
            if not self.open:
                raise Refused("the trial has ended")
            if status.recovering:
                raise Refused("another runbook step is still running")
            if not self._recovery_started:
                self._recovery_started = True
                self.trial.ctx.timeline.add(Kind.RECOVERY_STARTED, trigger="manual",
                                            steps=len(self.steps), **({"by": by} if by else {}))
            previous = self.step_state[index]
            self.step_state[index] = "running"
            try:
                # The trial waits for it (its end policy, finish) as for an automatic recovery.
                self.trial.run_step_by_hand(index, lambda: self._run(index))
            except RecoveryBusy as exc:   # lost a race with another step starting
                self.step_state[index] = previous
                raise Refused(str(exc)) from None
        return {"index": index, "step": self.steps[index].type}

    def _run(self, index: int) -> None:
        ctx = self.trial.ctx
        before = len(ctx.timeline.events)
        try:
            run_steps([self.steps[index]], ctx, self.trial.status().t_fault, first=index)
        except Exception as exc:   # on the timeline as step_failed; people may retry
            self.step_state[index] = "failed"
            if not any(e["kind"] == "step_failed" for e in ctx.timeline.events[before:]):
                ctx.timeline.add(Kind.STEP_FAILED, step=self.steps[index].type, index=index,
                                 error=f"{type(exc).__name__}: {exc}")
            return
        self.step_state[index] = "done"
        with self._lock:
            if all(s == "done" for s in self.step_state) and not self._recovery_finished:
                self._recovery_finished = True
                ctx.timeline.add(Kind.RECOVERY_FINISHED)

    def steps_view(self) -> list[dict[str, Any]]:
        return [{"index": i, "step": s.type, "state": self.step_state[i],
                 "params": _params(s)} for i, s in enumerate(self.steps)]


def _params(spec: Any) -> str:
    params = getattr(spec, "params", None)
    if params is None:
        return ""
    data = params.model_dump(mode="json") if hasattr(params, "model_dump") else dict(params)
    # A script's full path says less than its name, and may say where someone's home is.
    return ", ".join(f"{k}={str(v).rsplit('/', 1)[-1]}" for k, v in data.items())


def _target(spec: Any) -> dict[str, Any]:
    if spec is None:
        return {}
    params: Any = getattr(spec, "params", None)
    data = params.model_dump(mode="json") if hasattr(params, "model_dump") else {}
    return {"target": data.get("target") or data.get("service"), "params": _params(spec)}
