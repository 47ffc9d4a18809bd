"""Durations and ratios as scenario authors write them.

    parse_duration("1m30s")  -> 90.0        parse_duration(2)     -> 2.0
    parse_duration("500ms")  -> 0.5         parse_ratio("5%")     -> 0.05

``Duration`` / ``NonNegDuration`` / ``Ratio`` are annotated floats that pydantic
models use directly; a model field always holds plain seconds or a 0..1 ratio.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

# A week: longer than any sane trial, short enough that a typo like `30000h`
# is caught instead of silently scheduling a fault next year.
MAX_SECONDS = 7 * 24 * 3600.0

_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_NUM = r"[0-9]+(?:\.[0-9]+)?"          # ASCII digits only: no "1_0", no "١٠"
# One strict grammar: units largest first, each at most once ("1h30m", "1m30s",
# "1.5s", "500ms"); "1h1h" or "30s1m" is a mistake, not 2 h or 90 s.
_WHOLE = re.compile(rf"(?:(?P<h>{_NUM})h)?(?:(?P<m>{_NUM})m(?!s))?(?:(?P<s>{_NUM})s)?"
                    rf"(?:(?P<ms>{_NUM})ms)?")
_PLAIN = re.compile(_NUM)
_RATIO = re.compile(rf"-?{_NUM}(?:[eE][-+]?[0-9]{{1,3}})?")   # no "1_0", "inf", "nan", "١"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    names: dict[type, str] = {list: "a list", dict: "a mapping"}
    return names.get(type(value), f"a {type(value).__name__}")


def not_finite(value: float) -> str:
    """The message for NaN or an infinity, which no field of a scenario accepts."""
    what = "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "infinity"
    return f"{what} is not a number chaos accepts; write a finite value"
_HINT = "use a number of seconds or units largest first, each once: 500ms, 30s, 2m, 1h, 1m30s"


def _from_text(value: str) -> float:
    text = value.strip().replace(" ", "")    # "1m 30s" reads as "1m30s"
    negative = text.startswith("-")
    body = text[1:] if negative else text
    if _PLAIN.fullmatch(body):
        seconds = float(body)
    else:
        parts = _WHOLE.fullmatch(body)
        if parts is None or not any(parts.groupdict().values()):
            raise ValueError(f"invalid duration {value!r}; {_HINT}")
        seconds = sum(float(n) * _UNITS[u] for u, n in parts.groupdict().items() if n)
    if negative:
        raise ValueError(f"duration must not be negative, got {value!r}")
    return seconds


def parse_duration(value: Any) -> float:
    """Seconds from ``"500ms"``, ``"30s"``, ``"2m"``, ``"1h"``, ``"1m30s"`` or a plain number."""
    if isinstance(value, bool):  # bool is an int subclass; `at: yes` is a mistake
        raise ValueError(f"expected a duration like 30s, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise ValueError(not_finite(seconds))
    elif isinstance(value, str):
        seconds = _from_text(value)
    else:
        raise ValueError(f"expected a duration like 30s, got {_kind(value)}")
    if seconds < 0:
        raise ValueError(f"duration must not be negative, got {value!r}")
    if seconds > MAX_SECONDS:
        raise ValueError(f"duration {value!r} is too long (at most 7 days)")
    return seconds


def format_duration(seconds: float) -> str:
    """The inverse, for messages: 90.0 -> '1m30s', 0.5 -> '500ms'."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    out = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return out + (f"{secs:g}s" if secs or not out else "")


def _positive(seconds: float) -> float:
    if seconds <= 0:
        raise ValueError("duration must be greater than 0")
    return seconds


def parse_ratio(value: Any) -> float:
    """A 0..1 ratio from ``"5%"`` or ``0.05``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a ratio like 5% or 0.05, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        number = text[:-1].strip() if text.endswith("%") else text
        if number.lower().lstrip("-+") in ("nan", "inf", "infinity"):
            raise ValueError(not_finite(float(number)))
        if not _RATIO.fullmatch(number):
            raise ValueError(f"invalid percentage {value!r}; write 5% or 0.05")
        ratio = float(number) / 100 if text.endswith("%") else float(number)
    elif isinstance(value, (int, float)):
        ratio = float(value)
        if not math.isfinite(ratio):
            raise ValueError(not_finite(ratio))
    else:
        raise ValueError(f"expected a ratio like 5% or 0.05, got {_kind(value)}")
    if not 0.0 <= ratio <= 1.0:  # also rejects NaN
        raise ValueError(f"ratio {value!r} is out of range; use 0..1 or 0%..100%")
    return ratio


Duration = Annotated[float, BeforeValidator(parse_duration), AfterValidator(_positive)]
NonNegDuration = Annotated[float, BeforeValidator(parse_duration)]
Ratio = Annotated[float, BeforeValidator(parse_ratio)]
