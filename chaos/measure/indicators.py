"""Indicators and the steady state: impact, mitigation and recovery by the user's own SLIs.

    state = SteadyState([ErrorRatio("errors", below=0.01), Indicator("backlog", below=100)],
                        hold_s=10.0, on_impact=record)
    state.add(end_t, ok, latency_s, "POST /messages")   # every answered request
    state.feed("backlog", t, 140.0)                     # a reading, at the instant it describes
    state.arm(t_fault)                                  # from here on, breaches are impact
    state.advance(now)                                  # time-driven indicators (throughput)
    state.held_until()      # the instant every indicator had held for ``hold_s``, or None

Each indicator keeps ``since``: the instant from which it has been continuously inside
its objective (None while outside, or before its first reading: no data is not
"working"). The steady state's candidate instant is the latest of them; service is
restored once every indicator's data covers ``since + hold_s``:

    impact    = the first instant after the fault at which any indicator was outside
    mitigated = since                 (every indicator back inside, and staying there)
    recovered = since + hold_s        (held for the whole window)

Times are those the readings describe (event time), never when chaos read them.
The request error ratio keeps the rule chaos always had (``ErrorRatio``, with the other
indicators over requests in ``chaos.measure.requestindicators``): a failed
answer that brings the share of failures among the answers since the candidate to the
limit or above is a breach, at its answer time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

MAX_SERIES = 4000    # points kept per indicator for the report's chart

OnImpact = Callable[["Indicator", float, float | None], None]


class Indicator:
    """One indicator's state over the trial; subclasses decide what a reading is."""

    kind = "indicator"

    def __init__(self, name: str, objective: str, below: float | None = None,
                 above: float | None = None) -> None:
        self.name, self.objective, self.below, self.above = name, objective, below, above
        self.since: float | None = None       # continuously inside from (None: outside / unknown)
        self.watermark: float | None = None   # newest instant whose state is known
        self.armed_at: float | None = None
        self.out_since: float | None = None
        self.first_out: float | None = None   # after the fault
        self.first_out_value: float | None = None
        self.back_inside: float | None = None
        self.out_s = 0.0                      # time outside after the fault, closed spells
        self.worst: float | None = None       # after the fault, while outside
        self.readings = 0
        self.unreadable = 0
        self.last_error: str | None = None
        self.series: list[tuple[float, float | None]] = []
        self.sample_gap = 0.0                 # chart points at least this far apart
        self._last: float | None = None
        self._last_ok: bool | None = None
        self.on_out: OnImpact | None = None

    def inside(self, value: float) -> bool:
        if self.below is not None:
            return value < self.below
        return self.above is None or value > self.above

    def _worse(self, value: float) -> bool:
        if self.worst is None:
            return True
        return value < self.worst if self.above is not None else value > self.worst

    def feed(self, t: float, value: float | None, error: str | None = None) -> None:
        """A reading: ``value`` at ``t``, or ``error`` (unreadable counts as outside:
        what cannot be seen working is not known to work)."""
        self.readings += 1
        if error is not None:
            self.unreadable += 1
            self.last_error = error
        self.watermark = t if self.watermark is None else max(self.watermark, t)
        ok = error is None and value is not None and math.isfinite(value) and self.inside(value)
        self._chart(t, value, ok)
        after = self.armed_at is not None and t >= self.armed_at
        if not ok:
            self._went_out(t, value, after)
        elif self.out_since is not None or self.since is None:
            if self.out_since is not None and after and self.armed_at is not None:
                self.out_s += t - max(self.out_since, self.armed_at)
                self.back_inside = t
            self.out_since, self.since = None, t

    def _chart(self, t: float, value: float | None, ok: bool) -> None:
        """Keep a point for the chart: every reading, or one per ``sample_gap`` and every
        change of state, up to ``MAX_SERIES``."""
        if value is not None:
            self._last = value
        due = (not self.series or t - self.series[-1][0] >= self.sample_gap
               or ok != self._last_ok)
        self._last_ok = ok
        if due and len(self.series) < MAX_SERIES:
            self.series.append((round(t, 3), value))

    def _went_out(self, t: float, value: float | None, after: bool) -> None:
        if self.out_since is None:
            self.out_since = t
        self.since = None
        if not after:
            return
        if value is not None and math.isfinite(value) and self._worse(value):
            self.worst = value
        if self.first_out is None:
            self.first_out, self.first_out_value = t, value
            if self.on_out is not None:
                self.on_out(self, t, value)

    def arm(self, t: float) -> None:
        """At the fault: from ``t`` on, leaving the objective is impact."""
        self.armed_at = t
        if self.out_since is not None:   # already outside at the fault (the baseline let it be)
            self._went_out(t, None, True)

    def not_before(self, t: float) -> None:
        """No window may start before ``t`` (a fault that took until then to apply)."""
        if self.since is not None and self.since < t:
            self.since = t

    def covered(self, until: float) -> bool:
        """Its data reaches ``until``: the state there is known, not assumed."""
        return self.watermark is not None and self.watermark >= until

    def baseline(self, t: float, window: float) -> str | None:
        """Why this indicator did not hold for ``window`` before ``t``, or None."""
        if window <= 0:
            return None
        if self.since is None and self.readings == 0:
            return f"indicator '{self.name}' had no reading before the fault"
        if self.since is None or self.since > t - window:
            if self.last_error and self.since is None:
                return (f"indicator '{self.name}' could not be read before the fault "
                        f"({self.last_error})")
            last = self.last_value()
            shown = "no value" if last is None else f"{last:.4g}"
            return (f"indicator '{self.name}' was not {self.objective} for the {window:g} s "
                    f"before the fault (last reading: {shown})")
        return None

    def last_value(self) -> float | None:
        return self._last

    def add(self, end: float, ok: bool, latency_s: float, name: str) -> None:
        """An answered request (request-stream indicators only)."""

    def advance(self, now: float) -> None:
        """The clock moved (time-driven indicators only)."""

    def summary(self) -> dict[str, Any]:
        still_out = self.out_since is not None and self.armed_at is not None
        limit = self.below if self.below is not None else self.above
        return {"name": self.name, "type": self.kind, "objective": self.objective,
                "limit": rounded(limit),
                "breached": self.first_out is not None, "first_out_t": rounded(self.first_out),
                "first_out_value": rounded(self.first_out_value),
                "back_inside_t": None if still_out else rounded(self.back_inside),
                "out_s": round(self.out_s, 3), "still_out": still_out,
                "worst": rounded(self.worst), "readings": self.readings,
                "unreadable": self.unreadable, "last_error": self.last_error,
                "series": [[t, rounded(v)] for t, v in self.series]}


def rounded(value: float | None, places: int = 4) -> float | None:
    """A reading as the record keeps it: rounded, and None when it is not a number."""
    return None if value is None or not math.isfinite(value) else round(value, places)


class SteadyState:
    """Every indicator together: impact, the candidate instant, recovery (see module doc)."""

    def __init__(self, indicators: list[Indicator], hold_s: float,
                 on_impact: OnImpact | None = None) -> None:
        self.indicators = indicators
        self.by_name = {i.name: i for i in indicators}
        self.hold_s = hold_s
        self.floor: float | None = None      # the fault (or its end, for a long one)
        self.impact_t: float | None = None
        self.impact_by: Indicator | None = None
        self._on_impact = on_impact
        for ind in indicators:
            ind.on_out = self._out

    def _out(self, ind: Indicator, t: float, value: float | None) -> None:
        if self.impact_t is None or t < self.impact_t:
            self.impact_t, self.impact_by = t, ind
            if self._on_impact is not None:
                self._on_impact(ind, t, value)

    @property
    def armed(self) -> bool:
        return self.floor is not None

    def arm(self, t: float) -> None:
        self.floor = t
        for ind in self.indicators:
            ind.arm(t)

    def add(self, end: float, ok: bool, latency_s: float, name: str) -> None:
        for ind in self.indicators:
            ind.add(end, ok, latency_s, name)

    def feed(self, name: str, t: float, value: float | None, error: str | None = None) -> None:
        self.by_name[name].feed(t, value, error)

    def advance(self, now: float) -> None:
        for ind in self.indicators:
            ind.advance(now)

    def not_before(self, t: float) -> None:
        self.floor = t if self.floor is None else max(self.floor, t)
        for ind in self.indicators:
            ind.not_before(t)

    @property
    def since(self) -> float | None:
        """The instant from which every indicator has been inside, or None."""
        starts = [i.since for i in self.indicators]
        if any(s is None for s in starts):
            return None
        return max([s for s in starts if s is not None] + [self.floor or -math.inf])

    @property
    def latest(self) -> float | None:
        marks = [i.watermark for i in self.indicators if i.watermark is not None]
        return max(marks) if marks else None

    def held_until(self) -> float | None:
        """The instant the steady state completed its window, if it has."""
        since = self.since
        if since is None or not self.armed:
            return None
        end = since + self.hold_s
        return end if all(i.covered(end) for i in self.indicators) else None

    def outside(self) -> list[str]:
        """Names of the indicators outside their objective now (for the live view)."""
        return [i.name for i in self.indicators if i.since is None]

    def baseline(self, t: float, window: float) -> str | None:
        for ind in self.indicators:
            why = ind.baseline(t, window)
            if why is not None:
                return why
        return None

    def summaries(self) -> list[dict[str, Any]]:
        return [i.summary() for i in self.indicators]
