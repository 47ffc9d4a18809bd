"""A verdict per metric, and the gate that turns verdicts into an exit code.

    c = compare_metric(sample(base_trials, "ttd_s"), sample(candidate_trials, "ttd_s"))
    c.verdict        # "regressed": lower is better for every metric we compare
    Gate.parse("10%").exceeded(c)    # True when it regressed by more than 10 %

Verdicts: ``improved`` / ``regressed`` (two-sided Mann-Whitney p < 0.05, the
direction from which side ranks higher), ``no significant change``, or
``not enough trials`` when even completely separated samples could not reach
p < 0.05 with this many trials (3 per side: the smallest p is 0.10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from chaos.compare.samples import NO_IMPACT, MetricSample
from chaos.errors import UsageError
from chaos.measure import stats

IMPROVED, REGRESSED = "improved", "regressed"
NO_CHANGE, NOT_ENOUGH = "no significant change", "not enough trials"


@dataclass
class MetricComparison:
    metric: str
    base: MetricSample
    candidate: MetricSample
    verdict: str
    base_spread: stats.Spread | None = None
    candidate_spread: stats.Spread | None = None
    difference: float | None = None       # median(candidate) - median(base); inf with nulls
    relative: float | None = None         # difference / median(base)
    ci: tuple[float, float] | None = None
    ci_note: str | None = None
    p: float | None = None
    effect: float | None = None
    needed_per_side: int | None = None
    notes: list[str] = field(default_factory=list)


def _difference(base: stats.Spread, cand: stats.Spread) -> tuple[float | None, float | None]:
    b, c = base.median, cand.median
    if b == c:
        return 0.0, 0.0
    diff = c - b  # inf - (-inf) = inf: never measured against no impact is still "worse"
    if math.isnan(diff):
        return None, None
    if math.isfinite(b) and b > 0:
        return diff, diff / b
    return diff, math.copysign(math.inf, diff)


def compare_metric(base: MetricSample, cand: MetricSample, alpha: float = stats.ALPHA,
                   seed: int = stats.SEED) -> MetricComparison:
    c = MetricComparison(base.metric, base, cand, NOT_ENOUGH,
                         base_spread=stats.spread(base.values),
                         candidate_spread=stats.spread(cand.values))
    for side, s in (("base", base), ("candidate", cand)):
        if s.nulls:
            for why, n in s.nulls.items():
                rank = "better" if why == NO_IMPACT else "worse"
                c.notes.append(f"{side}: {n} null ({why}), ranked {rank} than any value")
        if s.excluded:
            c.notes.append(f"{side}: {s.excluded} trial(s) did not complete and are left out")
    if c.base_spread and c.candidate_spread:
        c.difference, c.relative = _difference(c.base_spread, c.candidate_spread)
    if stats.min_p_value(base.n, cand.n) >= alpha:
        c.needed_per_side = stats.trials_needed(alpha)
        c.notes.append(
            f"with {base.n} + {cand.n} trials the smallest possible p is "
            f"{stats.min_p_value(base.n, cand.n):.3g}: no result could reach p < {alpha}; "
            f"run at least {c.needed_per_side} per side (more when the samples overlap)")
        return c
    test = stats.mann_whitney(base.values, cand.values)
    c.p, c.effect = test.p, test.effect
    ci = stats.difference_ci(base.values, cand.values, seed=seed)
    if isinstance(ci, str):
        c.ci_note = ci
    else:
        c.ci = ci
    if test.p >= alpha:
        c.verdict = NO_CHANGE
    else:
        c.verdict = REGRESSED if test.effect > 0.5 else IMPROVED
    return c


@dataclass(frozen=True)
class Gate:
    """``--max-regression``: how much significant regression a change may bring.

    ``10%`` applies to every metric (relative to the base median); a duration
    (``5s``, ``2m``) applies to the time metrics only (the ``*_s`` fields),
    since "5 s" says nothing about lost writes. Without a gate, any significant
    regression fails.
    """

    text: str = "0"
    relative: float | None = None
    absolute_s: float | None = 0.0

    @classmethod
    def parse(cls, text: str | None) -> Gate:
        if text is None:
            return cls()
        raw = text.strip()
        try:
            if raw.endswith("%"):
                value = float(raw[:-1])
                if value < 0 or not math.isfinite(value):
                    raise ValueError
                return cls(text=raw, relative=value / 100, absolute_s=None)
            from chaos.scenario.duration import parse_duration

            return cls(text=raw, absolute_s=parse_duration(raw))
        except (ValueError, TypeError):
            raise UsageError(f"--max-regression {text!r}: expected a percentage (10%) or a "
                             "duration (5s, 2m)") from None

    def applies(self, metric: str) -> bool:
        return self.relative is not None or metric.endswith("_s")

    def exceeded(self, c: MetricComparison) -> bool:
        if c.verdict != REGRESSED or not self.applies(c.metric):
            return False
        if c.difference is None:
            return True  # significantly worse, by an amount we cannot state: fail safe
        if self.relative is not None:
            return c.relative is None or c.relative > self.relative
        return c.difference > (self.absolute_s or 0.0)


@dataclass
class Comparison:
    base: Any        # RunEntry
    candidate: Any   # RunEntry
    metrics: list[MetricComparison]
    gate: Gate
    alpha: float = stats.ALPHA
    seed: int = stats.SEED

    @property
    def failed(self) -> list[MetricComparison]:
        return [c for c in self.metrics if self.gate.exceeded(c)]
