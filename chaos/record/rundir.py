"""The run record as the reports read it: result.json + timeline.jsonl, checked.

    run = load_run("reports/20261130-013225-quick-a423")
    run.record.scenario.name; run.events[1]; run.samples[1]
    run.rehearsal            # a rehearsal's boundary matrix (rehearsal.json), else None

Events of a trial come from both files and are merged: result.json holds the
events known when the trial ended, timeline.jsonl everything that was ever
appended (also for a trial the process did not live to record, and a person's
``mark`` lines added afterwards). Each trial's events are sorted by time.

result.json is read and checked by ``chaos.record.files.load_result``; the
reports read the checked record typed (``run.record``, ``TrialStory.trial``); its
JSON form (``run.result``) is what the parts' report hooks receive and what a
target's dotted field (``data_loss.lost``) is looked up in. A result.json
we cannot trust stops the report with a ``ReportError`` that names the file and
every field at fault (exit 2); a torn last line of timeline.jsonl, which a
killed run leaves behind, does not.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaos.errors import ReportError
from chaos.measure.summary import run_targets, summarize
from chaos.measure.timeline import fault_instant, read_timeline
from chaos.record.files import load_rehearsal, load_result
from chaos.record.models import RunRecord, SpreadRecord, TargetResult, TrialRecord
from chaos.record.rehearsalrecord import RehearsalRecord
from chaos.userfiles import BadFile


@dataclass
class Run:
    dir: Path
    record: RunRecord        # the typed record; ``result`` is its JSON form, for the
    result: dict[str, Any]   # parts' hooks and dotted target fields, which read it by key
    events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    samples: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)   # input problems we rendered around
    rehearsal: RehearsalRecord | None = None   # `chaos rehearse`'s matrix; None: not one

    @property
    def trials(self) -> list[dict[str, Any]]:
        trials: list[dict[str, Any]] = self.result["trials"]
        return trials

    @property
    def scenario(self) -> dict[str, Any]:
        scenario: dict[str, Any] = self.result["scenario"]
        return scenario

    @property
    def targets(self) -> list[dict[str, Any]]:
        """Run-level targets; recomputed from the trials when the run never wrote them."""
        targets: list[dict[str, Any]] | None = self.result.get("targets")
        if targets is not None:
            return targets
        return run_targets(self.trials, self.scenario.get("targets") or {})

    @property
    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] | None = self.result.get("summary")
        if summary is not None:
            return summary
        return summarize([t for t in self.trials if t.get("status") in ("completed", "aborted")])

    def target_results(self) -> list[TargetResult]:
        """``targets``, typed: as written, or recomputed from the trials."""
        if self.record.targets is not None:
            return self.record.targets
        return [TargetResult.model_validate(t) for t in self.targets]

    def spreads(self) -> dict[str, SpreadRecord]:
        """``summary``, typed: each metric across the trials, as written or recomputed."""
        if self.record.summary is not None:
            return self.record.summary
        return {metric: SpreadRecord.model_validate(s) for metric, s in self.summary.items()
                if isinstance(s, dict)}

    def spread(self, metric: str) -> SpreadRecord | None:
        return self.spreads().get(metric)


def fault_t(trial: TrialRecord | dict[str, Any],
            events: list[dict[str, Any]]) -> float | None:
    """The trial's origin as every reader takes it: the instant the trial recorded
    (``fault_t``), else, for a record from before it was kept or a trial the process
    did not live to record, the first fault event's."""
    recorded: float | None = (trial.fault_t if isinstance(trial, TrialRecord)
                              else trial.get("fault_t"))
    return recorded if recorded is not None else fault_instant(events)


def load_run(run_dir: str | Path) -> Run:
    run_dir = Path(run_dir)
    record = load_result(run_dir / "result.json")
    run = Run(dir=run_dir, record=record, result={})
    events, samples = _load_timeline(run_dir / "timeline.jsonl", run)
    for trial in record.trials:
        run.events[trial.trial] = _merge(trial.events, events.get(trial.trial, []))
    for n in sorted(set(events) - set(run.events)):
        # The process died before result.json learned of this trial.
        record.trials.append(TrialRecord(trial=n, status="unknown"))
        run.events[n] = _merge([], events[n])
        run.notes.append(f"trial {n} is in timeline.jsonl only: result.json never recorded it")
    record.trials.sort(key=lambda t: t.trial)
    run.result = record.as_dict()
    run.rehearsal = _rehearsal(run_dir / "rehearsal.json", record, run.notes)
    for n, lines in samples.items():
        run.samples[n] = sorted(lines, key=lambda s: s["t"])
    return run


def _rehearsal(path: Path, record: RunRecord, notes: list[str]) -> RehearsalRecord | None:
    """rehearsal.json, written after every boundary; else the copy result.json keeps once
    the rehearsal ends. A damaged rehearsal.json is named and rendered around."""
    if not path.exists() and not path.is_symlink():
        return record.rehearsal
    try:
        return load_rehearsal(path)
    except ReportError as exc:
        shown = ("the rehearsal shown is result.json's copy" if record.rehearsal is not None
                 else "the rehearsal is not shown")
        notes.append(f"{exc.message}; {shown}")
        return record.rehearsal


def _load_timeline(path: Path, run: Run) -> tuple[dict[int, list[dict[str, Any]]],
                                                  dict[int, list[dict[str, Any]]]]:
    events: dict[int, list[dict[str, Any]]] = {}
    samples: dict[int, list[dict[str, Any]]] = {}
    if not path.exists() and not path.is_symlink():   # a symlink loop is not "missing"
        run.notes.append(f"{path.name} is missing: events come from result.json alone, "
                         "and there are no per-second samples")
        return events, samples
    try:
        raw_events, raw_samples = read_timeline(path)
    except BadFile as exc:
        raise ReportError(f"{path}: {exc.message}", damaged_input=True) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot be read ({exc})", damaged_input=True) from None
    for rec, into in [(e, events) for e in raw_events] + [(s, samples) for s in raw_samples]:
        if isinstance(rec.get("trial"), int) and isinstance(rec.get("t"), (int, float)):
            into.setdefault(rec["trial"], []).append(rec)
    return events, samples


def _is_event(e: Any) -> bool:
    return (isinstance(e, dict) and isinstance(e.get("kind"), str)
            and isinstance(e.get("t"), (int, float)) and not isinstance(e.get("t"), bool)
            and math.isfinite(e["t"]) and isinstance(e.get("wall", ""), str))


def _merge(*sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for source in sources:
        for e in source:
            if not _is_event(e):
                continue  # a damaged line: the rest of the record still renders
            key = json.dumps(e, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                out.append(e)
    return sorted(out, key=lambda e: e["t"])
