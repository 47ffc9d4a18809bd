"""Quantiles, the two kinds chaos uses, in one place (pure Python: no numpy on the hot path).

    quantile([1, 2, 3, 4], 0.5)          # 2.5: linear interpolation, for summaries
    nearest_rank([1, 2, 3, 4], 0.95)     # 4: an observed value, for alert rules and samples

``quantile`` tolerates ±inf (a null ranked worse or better than any value): between a
value and "never", the conservative neighbour wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of ``values`` (any order), ``0 <= q <= 1``."""
    if not values:
        raise ValueError("quantile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = int(math.floor(rank))
    high = min(low + 1, len(ordered) - 1)
    frac = rank - low
    lo, hi = ordered[low], ordered[high]
    if frac == 0 or lo == hi:
        return lo
    if math.isinf(lo) or math.isinf(hi):
        return hi
    return lo + (hi - lo) * frac


def nearest_rank(ordered: Sequence[float], q: float) -> float:
    """The value at rank ``floor(n * q)`` of already sorted ``ordered`` (clamped): what a
    Prometheus-style rule over raw samples compares, never an interpolated value."""
    if not ordered:
        raise ValueError("quantile of no values")
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]
