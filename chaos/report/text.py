"""Small formatting helpers shared by the renderers: numbers, durations, clocks, redaction."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

# The renderers redact with the same patterns as the record writers.
from chaos.parts import code as code  # re-exported for the renderers
from chaos.parts import seconds as seconds  # re-exported: parts format durations too
from chaos.redact import redact as redact  # re-exported for the renderers

NULL = "—"

def num(value: Any) -> str:
    """30.0 -> '30', 2.4190 -> '2.419', None -> '—'."""
    if value is None:
        return NULL
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def offset(value: float | None) -> str:
    """Seconds relative to the fault: 'fault +2.4 s', 'fault −4.9 s'."""
    if value is None:
        return ""
    sign = "+" if value >= 0 else "−"
    return f"fault {sign}{abs(value):.1f} s"


def percent(ratio: float | None) -> str:
    return NULL if ratio is None else f"{ratio:.1%}"


def parse_wall(text: Any) -> datetime | None:
    try:
        dt = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else None


def zone(dt: datetime) -> str:
    off = dt.utcoffset() or timedelta(0)
    if not off:
        return "UTC"
    sign = "+" if off >= timedelta(0) else "-"
    minutes = int(abs(off).total_seconds()) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def clock(dt: datetime | None) -> str:
    """'01:32:47.856 UTC': the time of day with its zone, as a timeline shows it."""
    if dt is None:
        return "(time unknown)"
    dt += timedelta(microseconds=500)   # round to the millisecond, not truncate
    return f"{dt.strftime('%H:%M:%S')}.{dt.microsecond // 1000:03d} {zone(dt)}"


def wall_clock(events: list[dict[str, Any]]) -> Callable[[float | None], datetime | None]:
    """Map a trial-clock second to the wall clock, anchored on the trial's first timed event."""
    for e in events:
        anchor = parse_wall(e.get("wall"))
        if anchor is not None:
            origin = anchor - timedelta(seconds=e["t"])
            return lambda t: None if t is None else origin + timedelta(seconds=t)
    return lambda t: None


def md_text(text: Any) -> str:
    """What a person typed, shown as text in Markdown: no tag, link or emphasis of theirs."""
    out = html.escape(str(text), quote=False).replace("\n", " ")
    for c in "\\`*_[]|#":
        out = out.replace(c, "\\" + c)
    return out


def md_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(head: list[str], rows: list[list[str]]) -> str:
    """A plain, aligned text table (no colours: it goes to CI logs as often as to terminals)."""
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
             for line in (head, ["-" * w for w in widths], *rows)]
    return "\n".join(lines)
