"""A rule's PromQL expression as text: what of it can be drawn, against which threshold."""

from __future__ import annotations

import re

_THRESHOLD = re.compile(r"^(?P<left>.*\S)\s*(?:>|>=|<|<=)\s*"
                        r"(?P<n>[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?)$", re.IGNORECASE | re.DOTALL)
_SET_OPERATOR = re.compile(r"\b(?:and|or|unless)\b")


def split_threshold(query: str) -> tuple[str, float | None]:
    """``x > 0.05`` -> (``x``, 0.05); anything else as it is, with no threshold."""
    found = _THRESHOLD.match(query.strip())
    if found is None or _SET_OPERATOR.search(found.group("left")):
        return query, None
    return found.group("left"), float(found.group("n"))


_NUMBER = r"[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?"
# One comparison inside a compound expression: a series (a recording rule's name, with
# optional matchers) against a number or a product of numbers, ``x > (14.4 * 0.001)``.
_COMPARISON = re.compile(rf"([A-Za-z_:][A-Za-z0-9_:]*(?:\{{[^}}]*\}})?)\s*(?:>=|<=|>|<)\s*"
                         rf"\(?\s*({_NUMBER}(?:\s*\*\s*{_NUMBER})*)\s*\)?", re.IGNORECASE)


def chart_parts(query: str) -> list[tuple[str, float | None]]:
    """What to draw for a rule's expression: ``x > 0.05`` -> [(x, 0.05)]; a compound
    one (``a > (14.4 * 0.001) and b > ...``) -> each compared series with its
    threshold (at most 4); anything else as it is, with no threshold."""
    shown, threshold = split_threshold(query)
    if threshold is not None or not _SET_OPERATOR.search(query):
        return [(shown, threshold)]
    parts: list[tuple[str, float | None]] = []
    for series, number in _COMPARISON.findall(query):
        value = 1.0
        for factor in number.split("*"):
            value *= float(factor)
        if (series, value) not in parts:
            parts.append((series, value))
    return parts[:4] or [(query, None)]
