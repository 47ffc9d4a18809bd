"""A trial's one-second samples as numbers to draw: request rate, error percentage, p95.

    t, rps, err, p95 = series(story.samples)

Whatever a damaged record holds instead of a number is a gap (None), never a crash.
"""

from __future__ import annotations

import math
from typing import Any

PLAUSIBLE_S = 1e7        # seconds; a time beyond this in a record is damage, not a trial


def number(value: Any) -> float | None:
    """A count, latency or metric; whatever a damaged record holds instead is a gap."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:   # an integer past any float
        return None
    return value if math.isfinite(value) and abs(value) < PLAUSIBLE_S else None


def series(samples: list[dict[str, Any]]) -> tuple[list[float], list[float],
                                                  list[float | None], list[float | None]]:
    """Sample times, requests/s, error % (None with no answers) and p95 ms."""
    t, rps, err, p95 = [], [], [], []
    prev = None
    for s in samples:
        n, failed = number(s.get("requests")) or 0, number(s.get("failed")) or 0
        dt = s["t"] - prev if prev is not None and s["t"] > prev else 1.0
        prev = s["t"]
        t.append(s["t"])
        rps.append(n / dt)
        err.append(min(100.0, 100.0 * failed / n) if n > 0 else None)
        p95.append(number(s.get("p95_ms")))
    return t, rps, err, p95
