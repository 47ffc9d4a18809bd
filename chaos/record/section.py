"""What every part of the run record is built on, and what more than one part shares.

    class MySection(Section):        # strict types for known fields, unknown keys kept
        slowest_s: Number | None = None

``Section`` is the base of the models in ``chaos.record.models`` (result.json) and
``chaos.record.rehearsalrecord`` (a rehearsal's boundary matrix); ``InvariantResult``
is read both after a trial and, half-applied and after recovery, at each boundary of
a rehearsal.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A part of the record: strict types for what we know, unknown keys kept."""

    # validate_assignment: the writer sets fields one by one as the run goes; each is checked.
    model_config = ConfigDict(extra="allow", strict=True, validate_assignment=True)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: what was set (None included), nothing filled in."""
        return self.model_dump(exclude_unset=True)


class InvariantResult(Section):
    name: str
    query: str | None = None
    expect: Any = None
    observed: Any = None
    passed: bool
    error: str | None = None


def kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "a number",
             float: "a number", bool: "true/false", type(None): "null"}
    return names.get(type(value), type(value).__name__)
