"""`chaos compare BASE CANDIDATE`: did a change make detection and recovery faster or slower?

    cmp = compare(resolve("before-fix", REPORTS), resolve("reports/2026...-b1c2", REPORTS))
    cmp.metrics[0].verdict      # "improved" | "regressed" | "no significant change" | ...
    cmp.failed                  # the regressions beyond --max-regression: exit 1 if any

resolve.py resolves an argument to a run, samples.py turns trials into values
(nulls included), verdict.py decides per metric, render.py prints.
"""

from __future__ import annotations

from chaos.compare.resolve import resolve
from chaos.compare.samples import METRICS, sample
from chaos.compare.verdict import Comparison, Gate, compare_metric
from chaos.history import RunEntry
from chaos.measure import stats

__all__ = ["METRICS", "Comparison", "Gate", "compare", "resolve"]


def compare(base: RunEntry, candidate: RunEntry, gate: Gate | None = None,
            metrics: tuple[str, ...] = METRICS, seed: int = stats.SEED) -> Comparison:
    rows = [compare_metric(sample(base.result["trials"], m), sample(candidate.result["trials"], m),
                           seed=seed)
            for m in metrics]
    return Comparison(base, candidate, rows, gate or Gate(), seed=seed)
