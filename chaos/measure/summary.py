"""Per-run summaries across trials: median, min, max, p90 per metric, and run targets."""

from __future__ import annotations

import statistics
from typing import Any

from chaos.measure.metrics import TIME_METRICS
from chaos.measure.quantiles import quantile
from chaos.measure.targets import TARGET_FIELDS, lookup

SUMMARIZED = (*TIME_METRICS, "failed_requests", "rpo_s", "data_loss.lost")


def summarize(trials: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in SUMMARIZED:
        values = [lookup(t, name) for t in trials]
        numbers = [v for v in values if v is not None]
        entry: dict[str, Any] = {"n": len(numbers), "nulls": len(values) - len(numbers)}
        if numbers:
            entry.update(median=round(statistics.median(numbers), 3), min=min(numbers),
                         max=max(numbers), p90=round(quantile(numbers, 0.9), 3))
        out[name] = entry
    return out


def run_targets(trials: list[dict[str, Any]], targets: dict[str, float]) -> list[dict[str, Any]]:
    """A run meets a target when every trial does; observed is the worst trial's value."""
    out = []
    for name, limit in targets.items():
        per_trial = [next((x for x in t.get("targets", []) if x["metric"] == name), None)
                     for t in trials]
        values = [lookup(t, TARGET_FIELDS[name]) for t in trials]
        numbers = [v for v in values if v is not None]
        # The worst trial's value; a trial that failed on a missing value is the worst.
        unmeasured = any(p is not None and not p["passed"] and "observed" in p
                         and p["observed"] is None for p in per_trial)
        worst = None if unmeasured or not numbers else max(numbers)
        entry = {"metric": name, "limit": limit, "observed": worst,
                 "passed": bool(per_trial)
                           and all(p is not None and p["passed"] for p in per_trial)}
        if not per_trial:
            entry["note"] = "not measured: no trial completed"
        else:   # why the first trial that failed it failed (or why a pass is vacuous)
            notes = [p.get("note") for p in per_trial if p is not None and not p["passed"]]
            notes = notes or [p.get("note") for p in per_trial if p is not None]
            if next((n for n in notes if n), None):
                entry["note"] = next(n for n in notes if n)
        out.append(entry)
    return out
