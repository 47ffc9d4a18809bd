"""The sections that say what a trial measures and what it is held to: ``steady_state``
(what "working" means), ``baseline``, ``data_loss`` (how lost writes are counted),
``slo``, ``targets``, ``abort_if`` and ``invariants``. ``Scenario``
(``chaos.scenario.model``) holds them; the checks that span sections stay there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, Literal, NoReturn

from pydantic import Field, ValidationError, model_validator

from chaos.scenario.base import Strict, custom_error, raise_errors
from chaos.scenario.duration import (
    Duration,
    NonNegDuration,
    Ratio,
    format_duration,
    not_finite,
    parse_duration,
    parse_ratio,
)
from chaos.scenario.indicatorspec import IndicatorSpec


class ErrorRateHolds(Strict):
    below: Ratio
    for_: Duration | None = Field(None, alias="for")
    """The hold window, as older scenarios wrote it; ``steady_state.for`` now."""


DEFAULT_HOLD_S = 10.0


class SteadyStateSection(Strict):
    """What "working" means: every indicator inside its objective, held for ``for``.

    The request error ratio (``error_rate``, default below 1 %) is always watched;
    ``indicators`` adds the system's own (``chaos.scenario.indicatorspec``)."""

    for_: Duration | None = Field(None, alias="for")
    error_rate: ErrorRateHolds = ErrorRateHolds(below=0.01)
    indicators: list[IndicatorSpec] = Field([], max_length=50)

    @model_validator(mode="after")
    def _one_window(self) -> SteadyStateSection:
        legacy = self.error_rate.for_
        if self.for_ is not None and legacy is not None and legacy != self.for_:
            raise_errors(type(self).__name__, [custom_error(("error_rate", "for"), "conflict", (
                f"two hold windows: steady_state.for is {format_duration(self.for_)} and "
                f"error_rate.for {format_duration(legacy)}; keep steady_state.for only"))])
        return self

    @property
    def hold_s(self) -> float:
        """How long every indicator must stay inside for service to count as restored."""
        return self.for_ or self.error_rate.for_ or DEFAULT_HOLD_S


class BaselineSection(Strict):
    """Before the first fault, the steady state must already hold for ``for``:
    otherwise the load does not fit the app (or the app is broken) and the trial
    stops without injecting anything. ``for: 0s`` turns the check off; the
    default is 5 s, or less when the first fault comes sooner."""

    for_: NonNegDuration | None = Field(None, alias="for")

    def window(self, first_fault_at: float) -> float:
        return min(5.0, first_fault_at) if self.for_ is None else self.for_


class DataLossSection(Strict):
    """How to count lost writes: ``query`` gets the written refs as ``%(refs)s``
    (a text array) and returns, one per row, the refs present after recovery."""

    query: str = Field(min_length=1, max_length=100_000)

    @model_validator(mode="after")
    def _takes_refs(self) -> DataLossSection:
        if "%(refs)s" not in self.query:
            raise ValueError("the query must take the refs as %(refs)s, e.g. "
                             "SELECT ref FROM t WHERE ref = ANY(%(refs)s)")
        return self


class Slo(Strict):
    """The service level objective the error budget is counted against."""

    availability: Ratio
    """Share of requests that must succeed, e.g. ``99.9%``: the budget is the rest."""

    @model_validator(mode="after")
    def _below_one(self) -> Slo:
        if not 0 < self.availability < 1:
            raise ValueError(f"availability must be between 0% and 100% (exclusive), "
                             f"got {self.availability:.4%}")
        return self


class Targets(Strict):
    """Limits per metric (defined in docs/measurement.md); a trial passes when all are met."""

    unknown_what: ClassVar[str] = "target metric"

    ttd: Duration | None = None
    tta: Duration | None = None
    ttm: Duration | None = None
    ttr: Duration | None = None
    outage: Duration | None = None
    rpo: NonNegDuration | None = None
    data_loss: int | None = Field(None, ge=0, le=10**9)
    failed_requests: int | None = Field(None, ge=0, le=10**12)
    error_budget_burned: Ratio | None = None
    human_ttd: Duration | None = None     # game days: also from gameday.expect
    human_tta: Duration | None = None
    human_ttr: Duration | None = None


class AbortRule(Strict):
    """Stop the trial (and revert) when ``metric`` stays above ``above`` for ``for``."""

    metric: Literal["error_rate", "failed_requests", "elapsed"]
    above: float | str
    for_: NonNegDuration = Field(0.0, alias="for")

    @model_validator(mode="after")
    def _typed_limit(self) -> AbortRule:
        parse: dict[str, Callable[[Any], float]] = {
            "error_rate": parse_ratio, "elapsed": parse_duration, "failed_requests": float}
        def bad(why: str) -> NoReturn:   # at the field, not the rule: `above` is what is wrong
            raise ValidationError.from_exception_data(type(self).__name__, [custom_error(
                ("above",), "bad_limit", f"bad limit for {self.metric}: {why}")])

        try:
            limit = float(parse[self.metric](self.above))
        except ValueError as exc:
            bad(str(exc))
        if not math.isfinite(limit):   # NaN would abort every trial at once
            bad(not_finite(limit))
        if limit < 0:
            bad(f"{self.above!r} is not a number >= 0")
        object.__setattr__(self, "above", limit)
        return self


class Invariant(Strict):
    """A SQL check made after recovery: ``query`` must return ``expect``."""

    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1)
    expect: str | int | float | bool | None = Field(union_mode="left_to_right")
