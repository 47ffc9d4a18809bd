"""Reading a run record back: result.json checked by ``chaos.record.models.RunRecord``, and
what is wrong with a damaged one said for a person, one line per field.

    record = load_result(Path("reports/20261130-013225-quick-a423/result.json"))
    record.trials[0].ttd_s; record.as_dict()   # the typed record; the dict it was written as
    doc = load_rehearsal(Path("reports/20261206-170000-rehearse-b1c2/rehearsal.json"))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from chaos.errors import ReportError
from chaos.partregistry import detectors, faults
from chaos.record.models import RunRecord
from chaos.record.rehearsalrecord import RehearsalRecord
from chaos.record.section import Section, kind
from chaos.userfiles import BadFile, read_bytes

MAX_RECORD_BYTES = 256_000_000   # far beyond a thousand trials' record
MAX_PROBLEMS = 10           # a record damaged everywhere is named, not listed in full


# ---- reading it ------------------------------------------------------------------------

def load_result(path: Path) -> RunRecord:
    """result.json, checked by ``RunRecord`` (and each part's section by its model)."""
    data = _read_json(path, "run record",
                      "not found; a run directory holds result.json and timeline.jsonl")
    try:
        record = RunRecord.model_validate(data)   # the version first, then every field
    except ValidationError as exc:
        raise _damaged(path, "; ".join(problems(exc.errors()))) from None
    wrong = section_errors(record)
    if wrong:
        raise _damaged(path, "; ".join(problems(wrong)))
    return record


def load_rehearsal(path: Path) -> RehearsalRecord:
    """rehearsal.json (``chaos rehearse``), checked by ``RehearsalRecord``."""
    data = _read_json(path, "rehearsal", "not found")
    try:
        return RehearsalRecord.model_validate(data)
    except ValidationError as exc:
        raise _damaged(path, "; ".join(problems(exc.errors()))) from None


def _damaged(path: Path, what: str) -> ReportError:
    return ReportError(f"{path}: {what}", damaged_input=True)


def _read_json(path: Path, what: str, missing: str) -> Any:
    """The file's JSON, or a ``ReportError`` saying why there is none."""
    try:   # a regular file of bounded size: a FIFO would block, /dev/zero never end
        text = read_bytes(path, MAX_RECORD_BYTES, what).decode("utf-8")
    except BadFile as exc:
        raise _damaged(path, missing if exc.message == "file not found" else exc.message) \
            from None
    except UnicodeDecodeError as exc:
        raise _damaged(path, f"cannot be read ({exc})") from None
    try:
        return json.loads(text)
    except RecursionError:  # `[[[[...` thousands deep: the C decoder recurses per level
        raise _damaged(path, f"is nested too deeply to be a {what}") from None
    except ValueError as exc:
        where = (f" (line {exc.lineno}, column {exc.colno})"
                 if isinstance(exc, json.JSONDecodeError) else "")
        raise _damaged(path, f"is not valid JSON{where}; the file may be truncated") from None


def section_errors(record: RunRecord) -> list[ErrorDetails]:
    """What is wrong with the parts' own sections (``PartBase.record_key``), checked by
    each part's ``Record`` model where the part is installed, at their paths."""
    errors: list[ErrorDetails] = []
    for i, trial in enumerate(record.trials):
        entries: list[tuple[str, int, Any, Section]] = [
            ("detectors", j, detectors.get(d.type), d) for j, d in enumerate(trial.detectors)]
        entries += [("faults", j, faults.get(f.type), f) for j, f in enumerate(trial.faults)]
        for where, j, part, entry in entries:
            key: str | None = getattr(part, "record_key", None)
            model = getattr(part, "Record", None)
            raw = (entry.model_extra or {}).get(key) if key else None
            if key is None or raw is None or model is None:
                continue   # no section, or a part not installed here: kept as written
            try:
                model.model_validate(raw)
            except ValidationError as exc:
                errors += [{**e, "loc": ("trials", i, where, j, key, *e["loc"])}
                           for e in exc.errors()]
    return errors


# ---- what went wrong, for a person --------------------------------------------------------

_WANT = {"string_type": "a string", "bool_type": "true/false", "int_type": "a whole number",
         "list_type": "a list", "dict_type": "an object", "model_type": "an object",
         "model_attributes_type": "an object"}


def problems(errors: list[ErrorDetails]) -> list[str]:
    """Every problem pydantic found, one line each, with the field's path."""
    lines = [_problem(e) for e in errors]
    if len(lines) > MAX_PROBLEMS:
        lines = lines[:MAX_PROBLEMS] + [f"and {len(lines) - MAX_PROBLEMS} more"]
    return lines


def _problem(error: Any) -> str:
    kind_ = error["type"]
    if kind_ in ("record", "version"):
        return str(error["msg"])
    name = field_path(error["loc"])
    if kind_ == "missing":
        return f"field '{name}' is missing"
    if kind_ == "not_measured":   # a number, but none a measurement gives (NaN, 1e300)
        return f"field '{name}': {error['msg']}"
    if kind_ == "literal_error":
        want = f"one of {error['ctx']['expected']}"
    else:
        want = _WANT.get(kind_) or str(error["msg"])
    return f"field '{name}' should be {want}, found {shown(error.get('input'))}"


def field_path(loc: tuple[Any, ...]) -> str:
    """``("trials", 0, "ttd_s")`` -> ``trials[0].ttd_s``."""
    out = ""
    for part in loc:
        if part == "[key]":   # pydantic's marker for a bad dict key: the path already names it
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def shown(value: Any) -> str:
    """A found value as a person reads it; containers by kind only (they may be huge)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (dict, list)):
        return kind(value)
    return f"{kind(value)} {str(value)[:40]!r}"
