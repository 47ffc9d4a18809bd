"""Targets: each scenario target is one pass/fail line of the result."""

from __future__ import annotations

from typing import Any

# target name in the scenario -> field of the trial result
TARGET_FIELDS = {"ttd": "ttd_s", "tta": "tta_s", "ttm": "ttm_s", "ttr": "ttr_s",
                 "outage": "outage_s", "data_loss": "data_loss.lost",
                 "failed_requests": "failed_requests", "rpo": "rpo_s",
                 "error_budget_burned": "error_budget_burned"}


def lookup(trial: dict[str, Any], dotted: str) -> Any:
    value: Any = trial
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def evaluate(trial: dict[str, Any], targets: dict[str, float]) -> list[dict[str, Any]]:
    """One entry per target: metric, limit, observed, passed, and why when it is not obvious."""
    out = []
    impact = trial.get("impact", True)
    for name, limit in targets.items():
        field = TARGET_FIELDS[name]
        observed = lookup(trial, field)
        entry: dict[str, Any] = {"metric": name, "field": field, "limit": limit,
                                 "observed": observed}
        if observed is None and not impact and name in ("ttd", "tta", "ttm", "ttr", "outage"):
            entry.update(passed=True, note="no impact: nothing to detect or recover from")
        elif observed is None and name in ("data_loss", "rpo") and trial.get("data_loss") is None:
            entry.update(passed=False, note=trial.get("data_loss_note")
                         or "not measured: the surviving writes could not be checked")
        elif observed is None:
            entry.update(passed=False, note="never happened within the time limit")
        else:
            entry["passed"] = observed <= limit
        out.append(entry)
    return out
