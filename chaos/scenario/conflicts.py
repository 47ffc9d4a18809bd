"""Checks a part makes of the whole scenario (``PartBase.conflicts``), run at validation.

A part knows what it cannot run beside (``disk_full`` and a restart of the database);
the schema asks every part of the scenario and reports what they say at the field
they name, with the rest of its problems, so that ``chaos validate`` exits 2 where a
trial would otherwise have started and failed.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import InitErrorDetails

from chaos.scenario.base import custom_error


def part_conflicts(scenario: Any) -> list[InitErrorDetails]:
    """Every part's conflicts with ``scenario``, as errors at their fields."""
    errors = []
    for part, params in scenario.parts():
        errors += [custom_error(loc, "conflict", message)
                   for loc, message in part.conflicts(params, scenario)]
    return errors
