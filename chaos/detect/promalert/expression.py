"""The rule's expression over the trial, read back from Prometheus's ``query_range`` when
the trial ends: an ``alert_expression`` event with [t, value] points per series for
each part ``chart_parts`` finds (a threshold drawn beside it), or the error."""

from __future__ import annotations

from chaos.detect.promalert.alertstates import Emit
from chaos.detect.promalert.promql import chart_parts
from chaos.measure.eventkinds import Kind
from chaos.measure.promapi import query_range
from chaos.parts import TrialClock

MAX_SERIES = 5
MAX_POINTS = 400


def record_expression(prom: str, query: str, clock: TrialClock, start: float,
                      emit: Emit) -> None:
    end = clock.now()
    step = max(1.0, (end - start) / MAX_POINTS)
    for shown, threshold in chart_parts(query):
        try:
            result = query_range(prom, shown, clock.wall0 + start, clock.wall0 + end,
                                 step)[:MAX_SERIES]
            points = [[[round(clock.from_wall(float(ts)), 3), float(v)]
                       for ts, v in r["values"]] for r in result]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            emit(Kind.ALERT_EXPRESSION, end, query=shown,
                 error=f"{type(exc).__name__}: {exc}"[:300])
            continue
        emit(Kind.ALERT_EXPRESSION, end, query=shown, threshold=threshold,
             series=points, labels=[r.get("metric") or {} for r in result])
