"""Statistics for comparing two sets of trials: spreads, a bootstrap CI, Mann-Whitney U.

    test = mann_whitney([2.4, 2.5, 2.3, 2.6, 2.4], [15.4, 15.6, 15.3, 15.5, 15.8])
    test.p          # 0.0119 (ties in the base side: normal approximation)
    test.effect     # 1.0: every candidate trial is above every base trial
    difference_ci([2.4, 2.5, 2.3, 2.6, 2.4], [15.4, 15.6, 15.3, 15.5, 15.8])  # (12.8, 13.4)

Incident durations are skewed (one slow trial outweighs the rest in a mean), so
everything here is rank- or median-based. Values may be ``+inf`` (a null that
is worse than any value: never detected, never recovered) or ``-inf`` (better
than any value: no impact). Rank tests handle those exactly; a confidence
interval of a difference of medians does not exist when a median is infinite,
and ``difference_ci`` then says why instead of returning a number.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from chaos.measure.quantiles import quantile

ALPHA = 0.05
CONFIDENCE = 0.95
RESAMPLES = 9999
SEED = 20260101   # fixed: the same two runs always give the same interval


@dataclass(frozen=True)
class Spread:
    n: int
    median: float
    q1: float
    q3: float
    min: float
    max: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1 if not (math.isinf(self.q3) or math.isinf(self.q1)) else math.inf


def spread(values: list[float]) -> Spread | None:
    if not values:
        return None
    return Spread(n=len(values), median=quantile(values, 0.5), q1=quantile(values, 0.25),
                  q3=quantile(values, 0.75), min=min(values), max=max(values))


def min_p_value(n1: int, n2: int) -> float:
    """The smallest two-sided p an exact Mann-Whitney U test can give with n1 and n2 trials.

    Reached only when the two samples do not overlap at all: 2 / C(n1 + n2, n1).
    3 + 3 -> 0.10 (no result can be significant at 0.05), 4 + 4 -> 0.029, 5 + 5 -> 0.008.
    """
    if n1 < 1 or n2 < 1:
        return 1.0
    return min(1.0, 2 / math.comb(n1 + n2, n1))


def trials_needed(alpha: float = ALPHA) -> int:
    """Smallest number of trials per side for which p < alpha is attainable at all (4 at 0.05)."""
    n = 1
    while min_p_value(n, n) >= alpha:
        n += 1
    return n


@dataclass(frozen=True)
class RankTest:
    u: float          # U of the candidate sample
    p: float          # two-sided
    effect: float     # P(candidate > base) + P(tie) / 2; 0.5 = no tendency either way


def mann_whitney(base: list[float], candidate: list[float]) -> RankTest:
    """Two-sided Mann-Whitney U of candidate against base (exact without ties and n <= 8)."""
    if not base or not candidate:
        raise ValueError("Mann-Whitney U needs at least one value on each side")
    if len(set(base) | set(candidate)) == 1:
        # All equal (e.g. every trial null on both sides): nothing to rank.
        return RankTest(u=len(base) * len(candidate) / 2, p=1.0, effect=0.5)
    result = stats.mannwhitneyu(candidate, base, alternative="two-sided")
    u = float(result.statistic)
    return RankTest(u=u, p=float(result.pvalue), effect=u / (len(base) * len(candidate)))


def _median_difference(candidate: np.ndarray, base: np.ndarray, axis: int = -1) -> np.ndarray:
    diff: np.ndarray = np.median(candidate, axis=axis) - np.median(base, axis=axis)
    return diff


def difference_ci(base: list[float], candidate: list[float], *, seed: int = SEED,
                  confidence: float = CONFIDENCE) -> tuple[float, float] | str:
    """Percentile-bootstrap CI of median(candidate) - median(base), or why there is none.

    Percentile rather than BCa: BCa's jackknife degenerates on the tied, tiny
    samples trials produce (and warns), while the percentile interval stays defined.
    """
    if len(base) < 2 or len(candidate) < 2:
        return "needs at least 2 trials per side"
    if any(math.isinf(v) for v in (*base, *candidate)):
        return "not defined with nulls among the trials"
    if len(set(base) | set(candidate)) == 1:
        return (0.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.bootstrap((np.asarray(candidate, float), np.asarray(base, float)),
                                 _median_difference, vectorized=True, paired=False,
                                 confidence_level=confidence, n_resamples=RESAMPLES,
                                 method="percentile", rng=np.random.default_rng(seed))
    low, high = result.confidence_interval
    if not (math.isfinite(low) and math.isfinite(high)):
        return "bootstrap gave no finite interval"
    return (round(float(low), 3), round(float(high), 3))
