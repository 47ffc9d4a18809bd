"""Targets: each scenario target is one pass/fail line of the result."""

from __future__ import annotations

from typing import Any

# target name in the scenario -> field of the trial result
TARGET_FIELDS = {"ttd": "ttd_s", "tta": "tta_s", "ttm": "ttm_s", "ttr": "ttr_s",
                 "outage": "outage_s", "data_loss": "data_loss.lost",
                 "failed_requests": "failed_requests", "rpo": "rpo_s",
                 "error_budget_burned": "error_budget_burned",
                 "human_ttd": "human_ttd_s", "human_tta": "human_tta_s",
                 "human_ttr": "human_ttr_s"}


def lookup(trial: dict[str, Any], dotted: str) -> Any:
    value: Any = trial
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


TIME_TARGETS = ("ttd", "tta", "ttm", "ttr", "outage")


def evaluate(trial: dict[str, Any], targets: dict[str, float]) -> list[dict[str, Any]]:
    """One entry per target: metric, limit, observed, passed, and why when it is not obvious.

    A target on a value that was not measured fails and says why; the only null that
    passes is a time target of a trial whose indicators never left their objective
    ("no impact": nothing to detect or recover from), and it names those indicators."""
    return [_one(trial, name, limit) for name, limit in targets.items()]


def _one(trial: dict[str, Any], name: str, limit: float) -> dict[str, Any]:
    field = TARGET_FIELDS[name]
    observed = lookup(trial, field)
    entry: dict[str, Any] = {"metric": name, "field": field, "limit": limit,
                             "observed": observed}
    if observed is not None:
        entry["passed"] = observed <= limit
        return entry
    entry.update(passed=False, note=why_null(trial, name))
    if name in TIME_TARGETS and trial.get("impact") is False:
        entry.update(passed=True, note="no impact: " + watched(trial))
    return entry


def watched(trial: dict[str, Any]) -> str:
    names = [i.get("name") for i in trial.get("indicators") or [] if isinstance(i, dict)]
    return ("no indicator left its objective after the fault (watched: "
            f"{', '.join(str(n) for n in names) or 'errors'})")


def why_null(trial: dict[str, Any], name: str) -> str:
    """Why a target's value is missing, in words: "not measured: ..." or what never happened."""
    breached = _breach(trial)
    if name in ("data_loss", "rpo"):
        return str(trial.get("data_loss_note") or "not measured: the surviving writes could not "
                   "be checked")
    if trial.get("impact") is None:
        return "not measured: the trial did not reach the fault"
    if name.startswith("human_"):
        return "never marked: no responder said so (live page or `chaos mark`)"
    if name == "ttd":
        return f"never detected: {breached} and no detector fired"
    if name == "tta":
        return (f"never detected: {breached} and no detector fired" if trial.get("ttd_s") is None
                else "never acknowledged: no recovery started after the detection")
    if name in ("ttm", "ttr", "outage"):
        return f"never happened within the time limit: {breached} and did not recover"
    if name == "error_budget_burned":
        return "not measured: no request was answered (or no slo)"
    return "not measured"


def _breach(trial: dict[str, Any]) -> str:
    by, at = trial.get("impact_by"), trial.get("tti_s")
    if by is None or at is None:
        return "the service left its steady state"
    return f"indicator '{by}' left its objective {at:g} s after the fault"
