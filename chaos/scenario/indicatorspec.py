"""The scenario's indicators: what "working" means for the system under test.

    steady_state:
      for: 10s                           # how long every indicator must hold
      error_rate: {below: 1%}            # the request error ratio: always watched
      indicators:
        - {name: backlog, type: sql, query: "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
           below: 100, every: 1s}
        - {name: p95, type: latency, percentile: 95, window: 5s, below: 500ms}
        - {name: sent, type: promql, query: "rate(messages_sent_total[30s])", above: 5}
        - {name: probe, type: http, path: /ready}
        - {name: throughput, type: throughput, window: 5s, above: 50%}   # of the baseline's

One flat model with a ``type``: each type uses some fields and must not be given the
others, so a misplaced key is reported at its own line. The objective is ``below`` or
``above``, exactly one (``http`` has none: a 2xx answer is inside); its unit follows
the type — a ratio, a duration, or a plain number.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, model_validator

from chaos.scenario.base import Strict, custom_error, raise_errors
from chaos.scenario.duration import Duration, format_duration, parse_duration, parse_ratio

IndicatorType = Literal["error_rate", "latency", "throughput", "sql", "promql", "http"]

# The fields each type takes besides name, type and its objective.
USES: dict[str, frozenset[str]] = {
    "error_rate": frozenset({"requests"}),
    "latency": frozenset({"requests", "percentile", "window"}),
    "throughput": frozenset({"requests", "window"}),
    "sql": frozenset({"query", "every", "timeout"}),
    "promql": frozenset({"query", "every"}),
    "http": frozenset({"path", "every", "timeout"}),
}
REQUIRED = {"sql": ("query",), "promql": ("query",), "http": ("path",)}
OBJECTIVE_UNIT = {"error_rate": "ratio", "throughput": "ratio", "latency": "duration",
                  "sql": "number", "promql": "number"}
OPTIONAL_FIELDS = ("requests", "percentile", "window", "query", "every", "timeout", "path")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError("NaN or an infinity is not a number chaos accepts")
    return float(value)


PARSE = {"ratio": parse_ratio, "duration": parse_duration, "number": _number}


class IndicatorSpec(Strict):
    """One service level indicator and its objective."""

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    type: IndicatorType
    below: float | str | None = None
    above: float | str | None = None
    requests: list[str] | None = Field(None, max_length=1000)
    """Locust request names this indicator counts (default: every request)."""
    percentile: float | None = Field(None, ge=50, le=100)
    window: Duration | None = None
    query: str | None = Field(None, min_length=1, max_length=100_000)
    every: Duration | None = None
    timeout: Duration | None = None
    path: str | None = Field(None, pattern=r"^/[^\s\x00-\x1f\x7f]*$", max_length=2000)

    @model_validator(mode="after")
    def _fits_type(self) -> IndicatorSpec:
        errors = []
        used = USES[self.type]
        for field in OPTIONAL_FIELDS:
            if getattr(self, field) is not None and field not in used:
                errors.append(custom_error((field,), "unused", (
                    f"'{field}' is not used by a '{self.type}' indicator "
                    f"(it takes: {', '.join(sorted(used)) or 'nothing else'})")))
        for field in REQUIRED.get(self.type, ()):
            if getattr(self, field) is None:
                errors.append(custom_error((field,), "missing",
                                           f"a '{self.type}' indicator needs '{field}'"))
        errors += self._objective()
        raise_errors(type(self).__name__, errors)
        return self

    def _objective(self) -> list[Any]:
        given = [k for k in ("below", "above") if getattr(self, k) is not None]
        if self.type == "http":
            return [custom_error((k,), "unused", "an 'http' indicator's objective is a 2xx "
                                 "answer; it takes no below/above") for k in given]
        if self.type == "throughput" and "below" in given:
            return [custom_error(("below",), "unused", "a throughput indicator takes 'above' "
                                 "(the share of the baseline's successful request rate)")]
        if len(given) != 1:
            return [custom_error(("below",), "objective", (
                f"a '{self.type}' indicator needs exactly one of 'below' or 'above' "
                f"({OBJECTIVE_UNIT[self.type]})"))]
        key = given[0]
        try:
            value = PARSE[OBJECTIVE_UNIT[self.type]](getattr(self, key))
        except ValueError as exc:
            return [custom_error((key,), "bad_objective", str(exc))]
        object.__setattr__(self, key, value)
        return []

    @property
    def limit(self) -> float | None:
        value = self.below if self.below is not None else self.above
        return None if value is None else float(value)

    def objective(self) -> str:
        """The objective in words, as reports print it: ``below 100``, ``above 50%``."""
        if self.type == "http":
            return "a 2xx answer"
        word = "below" if self.below is not None else "above"
        limit = self.limit or 0.0
        unit = OBJECTIVE_UNIT[self.type]
        shown = (f"{limit:.4g}" if unit == "number" else format_duration(limit)
                 if unit == "duration" else f"{limit * 100:.4g}%")
        extra = " of the baseline's successful requests/s" if self.type == "throughput" else ""
        return f"{word} {shown}{extra}"


def spec_errors(specs: list[IndicatorSpec], prometheus: bool,
                prefix: tuple[Any, ...] = ()) -> list[Any]:
    """Errors across indicators: names used twice, PromQL without Prometheus."""
    errors = []
    seen: set[str] = {"errors"}
    for i, spec in enumerate(specs):
        if spec.name in seen:
            errors.append(custom_error((*prefix, "indicators", i, "name"), "duplicate", (
                f"indicator name '{spec.name}' is used twice ('errors' is the request "
                "error ratio's own)")))
        seen.add(spec.name)
        if spec.type == "promql" and not prometheus:
            errors.append(custom_error((*prefix, "indicators", i, "type"), "needs_prometheus", (
                "a 'promql' indicator reads the lab's Prometheus: add an "
                "'observe: {prometheus: ...}' section")))
    return errors
