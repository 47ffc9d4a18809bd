"""`chaos compare BASE CANDIDATE`: did a change make detection and recovery faster or slower?

    cmp = compare(resolve("before-fix", REPORTS), resolve("reports/2026...-b1c2", REPORTS))
    cmp.metrics[0].verdict      # "improved" | "regressed" | "no significant change" | ...
    cmp.failed                  # the regressions beyond --max-regression
    cmp.not_measured            # what the gate could not see (no completed trial, ...)
    cmp.passed                  # neither: exit 0, else 1

resolve.py resolves an argument to a run, samples.py turns trials into values
(nulls included), verdict.py decides per metric, render.py prints.
"""

from __future__ import annotations

from chaos.compare.resolve import resolve
from chaos.compare.samples import ALL_METRICS, HUMAN_METRICS, METRICS, is_gameday, sample
from chaos.compare.verdict import Comparison, Gate, compare_metric
from chaos.history import RunEntry
from chaos.measure import stats

__all__ = ["ALL_METRICS", "HUMAN_METRICS", "METRICS", "Comparison", "Gate", "compare",
           "resolve"]


def compare(base: RunEntry, candidate: RunEntry, gate: Gate | None = None,
            metrics: tuple[str, ...] | None = None, seed: int = stats.SEED) -> Comparison:
    """``metrics`` named: the gate needs each measured on both sides; by default (all,
    and the people's times when either run is a game day), a metric neither run
    measured is listed and left out of the gate."""
    chosen: tuple[str, ...]
    if metrics is None:
        people = is_gameday(base.result) or is_gameday(candidate.result)
        chosen = (*METRICS, *HUMAN_METRICS) if people else METRICS
    else:
        chosen = metrics
    # A metric is a dotted field of a trial's JSON form (data_loss.lost), sampled as such.
    base_trials = [t.as_dict() for t in base.result.trials]
    candidate_trials = [t.as_dict() for t in candidate.result.trials]
    rows = [compare_metric(sample(base_trials, m), sample(candidate_trials, m), seed=seed)
            for m in chosen]
    return Comparison(base, candidate, rows, gate or Gate(), seed=seed,
                      explicit=metrics is not None)
