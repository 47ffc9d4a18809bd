"""Detectors: alert rules over request observations and probes."""

from __future__ import annotations

from pydantic import Field, field_validator

from chaos.detect.ruleengines import ErrorRateRule, HttpProbe, LatencyRule, SqlProbe
from chaos.partregistry import detectors
from chaos.scenario.base import Strict
from chaos.scenario.duration import Duration, NonNegDuration, Ratio


class ErrorRateParams(Strict):
    window: Duration = 10.0
    above: Ratio
    for_: NonNegDuration = Field(0.0, alias="for")


class LatencyDetectorParams(Strict):
    percentile: float = Field(95.0, ge=50, le=100)
    window: Duration = 10.0
    above: Duration
    for_: NonNegDuration = Field(0.0, alias="for")


class HttpParams(Strict):
    path: str
    every: Duration = 1.0
    failures: int = Field(3, ge=1, le=10_000)
    timeout: Duration = 1.0

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"path must start with '/', got '{value}'")
        if any(c.isspace() or not c.isprintable() for c in value):
            # urllib refuses such a URL at probe time, and the probe would "fail" forever
            raise ValueError(f"path must not contain spaces or control characters "
                             f"(percent-encode them), got {value!r}")
        return value


class SqlParams(Strict):
    query: str = Field(min_length=1)
    expect: str | bool | int | float | None
    """The scalar the query should return; compared as a string or a number."""
    every: Duration = 5.0
    failures: int = Field(1, ge=1, le=10_000)
    timeout: Duration = 2.0


@detectors.register("error_rate")
class ErrorRate(ErrorRateRule):
    """Fires when the ratio of failed requests over ``window`` stays above ``above`` for ``for``."""

    Params = ErrorRateParams


@detectors.register("latency")
class LatencyDetector(LatencyRule):
    """Fires when a latency percentile over ``window`` stays above ``above`` for ``for``."""

    Params = LatencyDetectorParams


@detectors.register("http")
class Http(HttpProbe):
    """Probes an HTTP path of the app; fires after ``failures`` consecutive failures."""

    Params = HttpParams


@detectors.register("sql")
class Sql(SqlProbe):
    """Runs a SQL query on the database; fires after ``failures`` unexpected results."""

    Params = SqlParams
