"""The run record as the reports read it: result.json + timeline.jsonl, checked.

    run = load_run("reports/20261130-013225-quick-a423")
    run.result["scenario"]["name"]; run.events[1]; run.samples[1]

Events of a trial come from both files and are merged: result.json holds the
events known when the trial ended, timeline.jsonl everything that was ever
appended (also for a trial the process did not live to record, and a person's
``mark`` lines added afterwards). Each trial's events are sorted by time.

A result.json we cannot trust stops the report with a ``ReportError`` that
names the file and the problem (exit 2); a torn last line of timeline.jsonl,
which a killed run leaves behind, does not.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaos.errors import ReportError
from chaos.measure.summary import run_targets, summarize
from chaos.measure.timeline import read_timeline

SUPPORTED_SCHEMAS = (1,)


@dataclass
class Run:
    dir: Path
    result: dict[str, Any]
    events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    samples: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)   # input problems we rendered around

    @property
    def trials(self) -> list[dict[str, Any]]:
        return self.result["trials"]

    @property
    def scenario(self) -> dict[str, Any]:
        return self.result["scenario"]

    @property
    def targets(self) -> list[dict[str, Any]]:
        """Run-level targets; recomputed from the trials when the run never wrote them."""
        if isinstance(self.result.get("targets"), list):
            return self.result["targets"]
        return run_targets(self.trials, self.scenario.get("targets") or {})

    @property
    def summary(self) -> dict[str, Any]:
        if isinstance(self.result.get("summary"), dict):
            return self.result["summary"]
        return summarize([t for t in self.trials if t.get("status") in ("completed", "aborted")])


def load_run(run_dir: str | Path) -> Run:
    run_dir = Path(run_dir)
    result = load_result(run_dir / "result.json")
    run = Run(dir=run_dir, result=result)
    events, samples = _load_timeline(run_dir / "timeline.jsonl", run)
    for trial in result["trials"]:
        recorded = trial.get("events") if isinstance(trial.get("events"), list) else []
        run.events[trial["trial"]] = _merge(recorded, events.get(trial["trial"], []))
    for n in sorted(set(events) - set(run.events)):
        # The process died before result.json learned of this trial.
        result["trials"].append({"trial": n, "status": "unknown"})
        run.events[n] = _merge([], events[n])
        run.notes.append(f"trial {n} is in timeline.jsonl only: result.json never recorded it")
    result["trials"].sort(key=lambda t: t["trial"])
    for n, lines in samples.items():
        run.samples[n] = sorted(lines, key=lambda s: s["t"])
    return run


def load_result(path: Path) -> dict[str, Any]:
    def damaged(what: str) -> ReportError:
        return ReportError(f"{path}: {what}", damaged_input=True)

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise damaged("not found; a run directory holds result.json and timeline.jsonl") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise damaged(f"cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except RecursionError:  # `[[[[...` thousands deep: the C decoder recurses per level
        raise damaged("is nested too deeply to be a run record") from None
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise damaged(f"is not valid JSON{where}; the file may be truncated") from None
    if not isinstance(data, dict):
        raise damaged(f"expected a JSON object, found {_kind(data)}")
    version = data.get("schema_version")
    if version not in SUPPORTED_SCHEMAS:
        readable = ", ".join(str(v) for v in SUPPORTED_SCHEMAS)
        found = "no schema_version" if version is None else f"schema_version {version!r}"
        raise damaged(f"{found}; this version of chaos reads schema_version {readable}")
    problems = _shape_problems(data)
    if problems:
        raise damaged("; ".join(problems))
    return data


def _shape_problems(data: dict[str, Any]) -> list[str]:
    """What is missing or of the wrong kind, all at once."""
    problems = []
    for key, kind in (("run_id", str), ("status", str), ("scenario", dict), ("trials", list)):
        if key not in data:
            problems.append(f"field '{key}' is missing")
        elif not isinstance(data[key], kind):
            problems.append(f"field '{key}' should be {_kind(kind())}, found {_kind(data[key])}")
    if isinstance(data.get("scenario"), dict) and not isinstance(data["scenario"].get("name"), str):
        problems.append("field 'scenario.name' is missing")
    for i, trial in enumerate(data.get("trials") if isinstance(data.get("trials"), list) else []):
        if not isinstance(trial, dict) or not isinstance(trial.get("trial"), int):
            problems.append(f"trials[{i}] is not a trial (an object with a 'trial' number)")
        else:
            problems += _field_problems(trial, f"trials[{i}]", _TRIAL_FIELDS)
    problems += _field_problems(data, "", _RUN_FIELDS)
    return problems


# What the renderers compute with: a wrong kind here is damage, not a renderer bug.
_NUMBER = "a number"
_TRIAL_FIELDS = {
    **dict.fromkeys(("wall_s", "ttd_s", "tta_s", "ttm_s", "ttr_s", "outage_s", "rpo_s",
                     "failed_requests", "total_requests", "error_budget_burned"), _NUMBER),
    **dict.fromkeys(("notes", "invariants", "detectors", "targets", "events", "requests_by_name"),
                    list),
    "data_loss": dict,
}
_RUN_FIELDS = {"summary": dict, "targets": list, "lab": dict}


def _field_problems(obj: dict[str, Any], where: str, fields: dict[str, Any]) -> list[str]:
    problems = []
    for key, kind in fields.items():
        value = obj.get(key)
        name = f"{where}.{key}" if where else key
        if value is None:
            continue
        if kind is _NUMBER:
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                  and abs(value) < 1e15)   # also NaN (False) and infinities
        else:
            ok = isinstance(value, kind)
        if not ok:
            want = kind if kind is _NUMBER else _kind(kind())
            problems.append(f"field '{name}' should be {want}, found {_kind(value)} {str(value)[:40]!r}")
        elif kind is list and key != "notes" and not all(isinstance(v, dict) for v in value):
            problems.append(f"field '{name}' should hold objects")
        elif kind is dict and key == "data_loss":
            counts = ("acknowledged", "lost", "unknown", "unknown_found", "unknown_missing")
            problems += _field_problems(value, name, dict.fromkeys(counts, _NUMBER))
    return problems


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "a number",
             float: "a number", bool: "true/false", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _load_timeline(path: Path, run: Run) -> tuple[dict[int, list], dict[int, list]]:
    events: dict[int, list] = {}
    samples: dict[int, list] = {}
    if not path.exists():
        run.notes.append(f"{path.name} is missing: events come from result.json alone, "
                         "and there are no per-second samples")
        return events, samples
    try:
        raw_events, raw_samples = read_timeline(path)
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
