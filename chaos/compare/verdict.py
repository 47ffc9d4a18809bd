"""A verdict per metric, and the gate that turns verdicts into an exit code.

    c = compare_metric(sample(base_trials, "ttd_s"), sample(candidate_trials, "ttd_s"))
    c.verdict        # "regressed": lower is better for every metric we compare
    Gate.parse("10%").exceeded(c)    # True when it regressed by more than 10 %

Verdicts: ``improved`` / ``regressed`` (two-sided Mann-Whitney p < 0.05, the
direction from which side ranks higher), ``no significant change``, or
``not enough trials`` when even completely separated samples could not reach
p < 0.05 with this many trials (3 per side: the smallest p is 0.10).

The gate passes only on what it saw (issue #23): a side without a completed
trial, too few trials for any verdict, or a gated metric with no value in any
trial of one side is ``not_measured``, and fails it, saying which and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from chaos.compare.samples import NO_IMPACT, MetricSample
from chaos.errors import UsageError
from chaos.history import RunEntry
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
    if b == c:   # "never" on both sides is no difference of 0: there is no number at all
        return (0.0, 0.0) if math.isfinite(b) else (None, None)
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
        # Without --max-regression ("0") any significant regression fails, counts included.
        return self.relative is not None or self.text == "0" or metric.endswith("_s")

    def exceeded(self, c: MetricComparison) -> bool:
        if c.verdict != REGRESSED or not self.applies(c.metric):
            return False
        if c.difference is None:
            return True  # significantly worse, by an amount we cannot state: fail safe
        if self.relative is not None:
            return c.relative is None or c.relative > self.relative
        return c.difference > (self.absolute_s or 0.0)


@dataclass(frozen=True)
class Unmeasured:
    """Something the gate could not see: the whole comparison (``metric`` None) or one metric."""

    metric: str | None
    why: str

    def __str__(self) -> str:
        return f"{self.metric}: {self.why}" if self.metric else self.why


@dataclass
class Comparison:
    base: RunEntry
    candidate: RunEntry
    metrics: list[MetricComparison]
    gate: Gate
    alpha: float = stats.ALPHA
    seed: int = stats.SEED
    explicit: bool = False   # the metrics were named (--metric): each must be measured

    @property
    def failed(self) -> list[MetricComparison]:
        """The regressions beyond the gate."""
        return [c for c in self.metrics if self.gate.exceeded(c)]

    @property
    def passed(self) -> bool:
        """The exit code's question: no regression beyond the gate, and nothing unseen."""
        return not self.failed and not self.not_measured

    @property
    def not_gated(self) -> list[MetricComparison]:
        """Metrics neither run measured, left out of the gate when not named (--metric):
        e.g. TTA in runs whose scenario starts no recovery. Listed, never silently passed."""
        if self.explicit or not self.metrics or not (self.metrics[0].base.n
                                                     and self.metrics[0].candidate.n):
            return []   # named metrics must be measured; an empty side says it all
        return [c for c in self.metrics if self.gate.applies(c.metric)
                and not c.base.measured and not c.candidate.measured]

    @property
    def not_measured(self) -> list[Unmeasured]:
        """Why the gate cannot pass: empty when it saw everything it judges."""
        if not self.metrics:
            return [Unmeasured(None, "no metric was compared")]
        first = self.metrics[0]
        sides = (("base", self.base, first.base), ("candidate", self.candidate, first.candidate))
        empty = [Unmeasured(None, f"the {side} run {_run_id(entry)} has no completed trial"
                                   + (f" ({s.excluded} did not complete)" if s.excluded else ""))
                 for side, entry, s in sides if not s.n]
        if empty:
            return empty
        out = []
        if first.needed_per_side:
            out.append(Unmeasured(None, (
                f"{first.base.n} + {first.candidate.n} completed trials: no difference could "
                f"reach p < {self.alpha}; run at least {first.needed_per_side} per side")))
        gated = [c for c in self.metrics if self.gate.applies(c.metric)]
        if not gated:
            out.append(Unmeasured(None, f"--max-regression {self.gate.text} applies to no "
                                         "compared metric (a duration gates the *_s metrics)"))
        left_out = {id(c) for c in self.not_gated}
        if gated and len(left_out) == len(gated):
            out.append(Unmeasured(None, "no gated metric has a value in either run"))
        for c in gated:
            if id(c) in left_out:
                continue
            for side, s in (("base", c.base), ("candidate", c.candidate)):
                if not s.measured:
                    out.append(Unmeasured(c.metric, f"no {side} trial has a value "
                                                     f"({s.missing()})"))
        return out


def _run_id(entry: RunEntry) -> str:
    return entry.result.run_id
