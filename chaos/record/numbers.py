"""The record's numbers: a measurement is a finite int or float, never true/false, and
below ``LIMIT``; a count a whole number; a target name one the scenario can set.

    class MySection(Section):
        slowest_s: Number | None = None
        slow: Count = 0
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

from chaos.measure.targets import TARGET_FIELDS

LIMIT = 1e15                # larger is damage, not a measurement (and would overflow the charts)


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("number", "a number")
    _measurable(value)
    return value


def _count(value: Any) -> int:
    if isinstance(value, float):
        _measurable(value)   # NaN or 1e300 is damage before it is a fraction
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("count", "a whole number")
    _measurable(value)
    return value


def _measurable(value: int | float) -> None:
    """A number the record can hold, else what is wrong with it: it is a number, just
    not one any measurement gives."""
    if value != value:
        raise PydanticCustomError("not_measured", "NaN is not a measurement")
    if abs(value) == float("inf"):
        raise PydanticCustomError("not_measured", "infinity is not a measurement")
    if not abs(value) < LIMIT:
        limit = f"{LIMIT:.0e}".replace("e+", "e")   # 1e15
        try:
            shown = f"{float(value):g}"
        except OverflowError:   # an integer too large for a float: its first digits
            shown = f"{str(value)[:8]}…({len(str(value))} digits)"
        raise PydanticCustomError("not_measured",
                                  f"{shown} is beyond any measurement (limit {limit})")


def _target_name(value: Any) -> str:
    if value not in TARGET_FIELDS:
        raise PydanticCustomError("target", "one of {known}", {"known": ", ".join(TARGET_FIELDS)})
    return str(value)


# int | float, not float: a float field would turn 1157 into 1157.0 in the file and the reports.
Number = Annotated[int | float, PlainValidator(_number)]
Count = Annotated[int, PlainValidator(_count)]
TargetName = Annotated[str, PlainValidator(_target_name)]   # a scenario target: ttd, rpo, ...
