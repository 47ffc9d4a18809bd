"""What happened in one trial, told for people: timeline lines, root cause, recovery steps.

Every function here reads a trial's events (and samples) and nothing else, so
the post-mortem can be re-rendered from a run record at any time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chaos.measure.eventkinds import Kind
from chaos.measure.timeline import first_event
from chaos.partregistry import Registry, detectors, faults, steps
from chaos.record import Run, ScenarioRecord, TrialRecord, fault_t
from chaos.report.sampleseries import series
from chaos.report.text import (
    clock,
    num,
    offset,
    parse_wall,
    percent,
    redact,
    seconds,
    wall_clock,
)

PLUMBING = {"t", "wall", "kind", "trial", "index"}
ENDED_STEPS = (Kind.STEP_DONE, Kind.STEP_FAILED)


@dataclass
class TrialStory:
    """One trial as the reports read it: its typed record (``trial``), events, samples.

    ``record`` is the same trial in its JSON form, for the parts' report hooks
    (``chaos.parts.TrialView``): what parts and plugins receive is a dict."""

    n: int
    trial: TrialRecord
    events: list[dict[str, Any]]
    samples: list[dict[str, Any]]
    record: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.record = self.trial.as_dict()
        self.t_fault: float | None = fault_t(self.trial, self.events)
        self.at: Callable[[float | None], datetime | None] = wall_clock(self.events)

    @property
    def measured(self) -> bool:
        """Whether the run recorded this trial's metrics (a killed run may not have)."""
        return "impact" in self.trial.model_fields_set

    def first(self, kind: str) -> float | None:
        e = first_event(self.events, kind, after=self.t_fault)
        return e["t"] if e is not None and self.t_fault is not None else None

    def sampled_errors(self) -> tuple[float, float] | None:
        """Seconds after the fault of the first and last sample with failed requests."""
        if self.t_fault is None:
            return None
        bad = [s["t"] - self.t_fault for s in self.samples
               if (s.get("failed") or 0) > 0 and s["t"] >= self.t_fault]
        return (min(bad), max(bad)) if bad else None

    def error_percent(self) -> tuple[list[float], list[float | None]]:
        """Sample times and the error percentage users saw (None: no answers)."""
        t, _, err, _ = series(self.samples)
        return t, err

    def since_fault(self, t: float | None) -> float | None:
        return None if t is None or self.t_fault is None else t - self.t_fault

    def when(self, t: float | None, wall: Any = None) -> str:
        """Clock time of a trial second; an event's own ``wall`` wins when it has one."""
        return clock(parse_wall(wall) or self.at(t))


def _extra(e: dict[str, Any], *skip: str) -> str:
    rest = {k: v for k, v in e.items() if k not in PLUMBING and k not in skip}
    return ", ".join(f"{k}={redact(v)}" for k, v in rest.items())


def part_text(registry: Registry[Any], name: Any, e: dict[str, Any]) -> str | None:
    """The part's own sentence for its event, redacted; None when it has none (or is
    not installed here: a record from elsewhere still renders, generically). A part
    whose ``describe`` breaks gets the error in its place, visibly."""
    part = registry.get(name) if isinstance(name, str) else None
    try:
        text = part.describe(e) if part is not None else None
    except Exception as exc:   # never stops a report, never hidden either
        text = f"(its describe() failed: {type(exc).__name__}: {exc})"
    return redact(text) if isinstance(text, str) else None


def fault_line(e: dict[str, Any]) -> str:
    """One line: what a fault did, from its ``fault_applied`` event."""
    name = e.get("fault", "fault")
    if e.get("error"):
        return f"{name}: could not be applied ({redact(e['error'])})"
    own = part_text(faults, name, e)
    if own:
        return f"{name}: {own}"
    detail = _extra(e, "fault")
    return f"{name}: applied" + (f" ({detail})" if detail else "")


def root_causes(story: TrialStory, scenario: ScenarioRecord) -> list[str]:
    applied = [e for e in story.events if e["kind"] == Kind.FAULT_APPLIED]
    if applied:
        return [fault_line(e) for e in applied]
    injected = [e for e in story.events if e["kind"] == Kind.FAULT_INJECTED]
    if injected:
        return [f"{e.get('fault', 'fault')}: injected, but the run recorded no outcome"
                for e in injected]
    return [f"{f.type}: planned at {num(f.at_s)} s, never injected"
            for f in scenario.faults] or ["no fault was recorded"]


def _step_text(e: dict[str, Any], story: TrialStory) -> str:
    step = e.get("step", "step")
    n = e["index"] + 1 if isinstance(e.get("index"), int) else "?"
    if e["kind"] == Kind.STEP_FAILED:
        return f"step {n} FAILED: {step} ({redact(e.get('error', 'no error recorded'))})"
    what = []
    own = part_text(steps, step, e)
    if own:
        what.append(own)
    age = story.since_fault(e.get("snapshot_t"))
    if age is not None and age < 0:     # a backup's age is the engine's: backups are its own
        what.append(f"snapshot taken {seconds(-age)} before the fault")
    if not own:
        rest = _extra(e, "step", "took_s", "snapshot_t")
        if rest:
            what.append(rest)
    took = f" in {seconds(e['took_s'])}" if isinstance(e.get("took_s"), (int, float)) else ""
    return f"step {n} done{took}: {step}" + (f" — {'; '.join(what)}" if what else "")


Sentence = Callable[[dict[str, Any], "TrialStory"], str | None]


def _silent(e: dict[str, Any], story: TrialStory) -> None:
    """Events the timeline leaves out: step_done carries a step's duration; lag samples
    (one a second) are on the record, and the failover step's own event says how far
    behind the replica was; indicator readings are drawn, not told."""
    return None


def _impact(e: dict[str, Any], story: TrialStory) -> str:
    value = e.get("value")
    shown = f" (at {value:.4g})" if isinstance(value, (int, float)) else ""
    return (f"impact: indicator {e.get('indicator', '?')} left its objective, "
            f"{e.get('objective', '?')}{shown}")


def _fired(e: dict[str, Any], story: TrialStory) -> str:
    how = f" ({e['detector']})" if e.get("detector") else ""
    return f"alert fired: {e.get('name', '?')}{how}"


def _recovery_started(e: dict[str, Any], story: TrialStory) -> str:
    steps = f", {e['steps']} steps" if "steps" in e else ""
    return f"recovery started (trigger {e.get('trigger', '?')}{steps})"


def _ms(value: Any, sign: bool = False) -> str:
    if not isinstance(value, (int, float)):
        return "?"
    return f"{value * 1000:+.1f} ms" if sign else f"{value * 1000:.1f} ms"


def _mark(e: dict[str, Any], story: TrialStory) -> str:
    note = f": {redact(e['note'])}" if e.get("note") else ""
    return f"marked by a person — {e.get('mark', 'note')}{note}"


SENTENCES: dict[str, Sentence] = {   # keyed by Kind (a str: records hold plain strings)
    Kind.TRIAL_STARTED: lambda e, story: f"trial {story.n} started",
    Kind.LOAD_STARTED: lambda e, story: f"load started ({e.get('users', '?')} users)",
    Kind.LOAD_HOST_JOINED: lambda e, story: (
        f"load host {e.get('host', '?')} joined ({e.get('address') or '?'}, clock offset "
        f"{_ms(e.get('offset_s'), sign=True)} ± {_ms(e.get('uncertainty_s'))})"),
    Kind.LOAD_HOST_LOST: lambda e, story: (
        f"load host {e.get('host', '?')} LOST: silent since t={seconds(e.get('last_t'))}, "
        f"{e.get('in_flight', '?')} requests in flight, {e.get('unknown_writes', 0)} writes "
        f"of unknown outcome"),
    Kind.BACKUP_TAKEN: lambda e, story: (f"backup #{e.get('number', '?')} taken "
                                         f"(took {seconds(e.get('took_s'))})"),
    Kind.FAULT_INJECTED: lambda e, story: f"fault injected: {e.get('fault', '?')}",
    Kind.FAULT_APPLIED: lambda e, story: f"fault took effect — {fault_line(e)}",
    Kind.FAULT_REVERTED: lambda e, story: f"fault reverted: {e.get('fault', '?')}",
    Kind.FAULT_REVERT_FAILED: lambda e, story: (f"fault revert FAILED: {e.get('fault', '?')} "
                                                f"({redact(e.get('error', ''))})"),
    Kind.DETECTOR_FIRED: _fired,
    Kind.RECOVERY_STARTED: _recovery_started,
    Kind.STEP_STARTED: _silent,
    Kind.REPLICATION_LAG: _silent,
    Kind.STEP_DONE: lambda e, story: _step_text(e, story),
    Kind.STEP_FAILED: lambda e, story: _step_text(e, story),
    Kind.RECOVERY_FINISHED: lambda e, story: "recovery steps finished",
    Kind.RECOVERY_FAILED: lambda e, story: f"recovery FAILED: {redact(e.get('error', ''))}",
    Kind.IMPACT: _impact,
    Kind.INDICATOR_OUT: _silent,
    Kind.INDICATOR_IN: _silent,
    Kind.MITIGATED: lambda e, story: "every indicator back inside its objective (mitigated)",
    Kind.RECOVERED: lambda e, story: "service restored: the steady state held for its whole window",
    Kind.TRIAL_ENDED: lambda e, story: f"trial ended ({e.get('reason') or 'no reason recorded'})",
    Kind.MARK: _mark,
}
"""The engine's own events, each with its sentence. A kind not here is told by the part
that emitted it (its ``describe``), else generically, by its name and fields."""


def describe(e: dict[str, Any], story: TrialStory) -> str | None:
    """A sentence for one event, or None for events the timeline leaves out."""
    kind: str = e["kind"]
    sentence = SENTENCES.get(kind)
    if sentence is not None:
        return sentence(e, story)
    if e.get("detector"):   # a detector's own event (an alert turning pending...)
        own = part_text(detectors, e["detector"], e)
        if own:
            return own
    detail = _extra(e)
    return kind.replace("_", " ") + (f" ({detail})" if detail else "")


def timeline(story: TrialStory) -> list[dict[str, str]]:
    """Chronological lines: clock time with zone, offset from the fault, what happened."""
    finished = {e.get("index") for e in story.events if e["kind"] in ENDED_STEPS}
    lines = []
    for e in story.events:
        text = describe(e, story)
        if e["kind"] == Kind.STEP_STARTED and e.get("index") not in finished:
            text = f"step {e.get('step', '?')} started and never finished"
        if text is None:
            continue
        lines.append({"clock": story.when(e["t"], e.get("wall")),
                      "offset": offset(story.since_fault(e["t"])), "text": text})
    return lines


def recovery(story: TrialStory) -> dict[str, Any]:
    """The recovery as run: its steps with durations, and how it ended."""
    ev = story.events
    start = first_event(ev, Kind.RECOVERY_STARTED)
    end = first_event(ev, Kind.RECOVERY_FINISHED) or first_event(ev, Kind.RECOVERY_FAILED)
    steps = [_step_text(e, story) for e in ev if e["kind"] in ENDED_STEPS]
    finished = {e.get("index") for e in ev if e["kind"] in ENDED_STEPS}
    steps += [f"step {e.get('step', '?')} started and never finished" for e in ev
              if e["kind"] == Kind.STEP_STARTED and e.get("index") not in finished]
    outcome = None
    if start is None:
        outcome = "no recovery was started"
    elif end is None:
        outcome = "the recovery never finished"
    elif end["kind"] == Kind.RECOVERY_FAILED:
        outcome = f"the recovery failed: {redact(end.get('error', ''))}"
    took = end["t"] - start["t"] if start and end else None
    return {"started": story.when(start["t"], start.get("wall")) if start else None,
            "trigger": (start or {}).get("trigger"),
            "steps": steps, "took": seconds(took) if took is not None else None, "outcome": outcome}


@dataclass(frozen=True)
class Peak:
    """The worst one-second sample of a trial, and the sentence telling it."""

    ratio: float
    failed: int
    requests: int
    t: float
    text: str


def peak_failure(story: TrialStory) -> Peak | None:
    """The worst one-second sample: its failure ratio, counts, and when it was."""
    best: tuple[float, int, int, float] | None = None
    for s in story.samples:
        requests, failed = s.get("requests"), s.get("failed")
        if not isinstance(requests, int) or not isinstance(failed, int) or requests <= 0:
            continue
        if best is None or failed / requests > best[0]:
            best = (failed / requests, failed, requests, s["t"])
    if best is None:
        return None
    ratio, failed, requests, t = best
    text = ("no request failed (every second's samples)" if failed == 0 else
            f"{percent(ratio)} of requests failed ({failed} of {requests} in the second to "
            f"{story.when(t)})")
    return Peak(ratio, failed, requests, t, text)


def stories(run: Run) -> list[TrialStory]:
    return [TrialStory(t.trial, t, run.events.get(t.trial, []), run.samples.get(t.trial, []))
            for t in run.record.trials]
