"""One metric of one run as the statistics see it: a value per completed trial.

Nulls are never dropped (docs/ci.md; docs/measurement.md: "A null is never
replaced by a limit or a zero"). For ranking they become infinities, which rank
tests handle exactly:

- never happened (no detector fired, service not restored, loss not verified,
  no surviving write to bound the RPO): ``+inf``, worse than any value;
- no impact (nothing failed, so there was nothing to detect or recover from):
  ``-inf`` for the time metrics, better than any value.

Aborted trials are left out (their nulls mean "cut short", not "never") and counted.

Game days add the people's times (``HUMAN_METRICS``): two teams, or two versions of
a runbook, on the same scenario. A trial where nobody marked ``detected`` (or
``recovered``) ranks worst, as "never marked"; with no impact, better than any value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from chaos.measure.metrics import TIME_METRICS
from chaos.measure.targets import lookup
from chaos.record import RunRecord

METRICS = (*TIME_METRICS, "failed_requests", "data_loss.lost", "rpo_s")
#: A game day's own measures: compared by default when either run is a game day.
HUMAN_METRICS = ("human_ttd_s", "human_tta_s", "human_ttr_s")
ALL_METRICS = (*METRICS, *HUMAN_METRICS)
NEVER, NO_IMPACT = "never happened", "no impact"
# What a worst-ranked null means, where "never happened" would be the wrong words.
WORST_REASON = {"data_loss.lost": "not verified",
                "rpo_s": "unbounded: no write acknowledged before the fault survived",
                **{m: "never marked: no responder made that mark" for m in HUMAN_METRICS}}


def worst_name(metric: str) -> str:
    """How a worst-ranked null is shown in a table cell: "never", "not verified", "unbounded"."""
    return WORST_REASON.get(metric, "never").split(":")[0]


@dataclass
class MetricSample:
    metric: str
    trials: list[int] = field(default_factory=list)
    raw: list[float | None] = field(default_factory=list)   # as recorded
    values: list[float] = field(default_factory=list)       # ranked: nulls as ±inf
    nulls: dict[str, int] = field(default_factory=dict)     # why -> how many
    excluded: int = 0                                        # trials that did not complete

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def measured(self) -> int:
        """Completed trials with a value; "no impact" counts (users saw nothing: a finding),
        "never happened" / "not verified" / "unbounded" do not."""
        return sum(1 for v in self.values if v != math.inf)

    def missing(self) -> str:
        """Why no trial has a value, e.g. "5 never happened", "no completed trial"."""
        if not self.n:
            return "no completed trial" + (f" ({self.excluded} did not complete)"
                                           if self.excluded else "")
        return ", ".join(f"{n} {why.split(':')[0]}" for why, n in self.nulls.items())


def null_kind(trial: dict[str, Any], metric: str) -> str:
    if (metric in TIME_METRICS or metric in HUMAN_METRICS) and trial.get("impact") is False:
        return NO_IMPACT
    return WORST_REASON.get(metric, NEVER)


def is_gameday(result: RunRecord) -> bool:
    """People recovered: the run was a game day (``chaos run --gameday`` or ``gameday:``)."""
    return result.scenario.recovery_trigger == "manual"


def sample(trials: list[dict[str, Any]], metric: str) -> MetricSample:
    s = MetricSample(metric)
    for t in trials:
        if t.get("status") != "completed":
            s.excluded += 1
            continue
        value = lookup(t, metric)
        s.trials.append(t["trial"])
        s.raw.append(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            s.values.append(float(value))
            continue
        why = null_kind(t, metric)
        s.nulls[why] = s.nulls.get(why, 0) + 1
        s.values.append(-math.inf if why == NO_IMPACT else math.inf)
    return s
