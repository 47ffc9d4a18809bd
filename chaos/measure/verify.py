"""Checks made against the database after a trial: which writes survived, invariants."""

from __future__ import annotations

from typing import Any

import psycopg

from chaos.measure.dataloss import WriteLog


class NotMeasured(Exception):
    """The scenario's ``data_loss.query`` could not say which writes survived."""


def present_refs(dsn: str, query: str, writes: WriteLog) -> set[str]:
    """The refs the scenario's query finds, of those written (acknowledged or unknown).

    The query gets them as ``%(refs)s``, a text array, and returns one ref per row.
    """
    refs = list(writes.acked) + list(writes.unknown)
    if not refs:
        return set()
    try:
        with psycopg.connect(dsn, connect_timeout=10, autocommit=True) as conn:
            conn.execute("SET statement_timeout = '60s'")
            cur = conn.execute(query, {"refs": refs})
            if cur.description is None:
                raise NotMeasured("the data_loss query returned no rows at all (is it a SELECT?)")
            if len(cur.description) != 1:
                raise NotMeasured(f"the data_loss query must return one column (the ref), "
                                  f"not {len(cur.description)}")
            rows = cur.fetchall()
    except psycopg.Error as exc:
        raise NotMeasured(str(exc).strip() or type(exc).__name__) from None
    return {str(r[0]) for r in rows if r[0] is not None}


def check_invariants(dsn: str, invariants: list[Any]) -> list[dict[str, Any]]:
    results = []
    for inv in invariants:
        entry: dict[str, Any] = {"name": inv.name, "query": inv.query, "expect": inv.expect}
        try:
            with psycopg.connect(dsn, connect_timeout=10, autocommit=True) as conn:
                row = conn.execute(inv.query).fetchone()
            entry["observed"] = None if row is None else row[0]
            entry["passed"] = row is not None and same_value(row[0], inv.expect)
        except psycopg.Error as exc:
            entry.update(observed=None, passed=False, error=str(exc).strip())
        results.append(entry)
    return results


def same_value(got: object, expected: object) -> bool:
    """A database value against a scenario's expected one (``t``/``true``, 3 == 3.0)."""
    if got is None or expected is None:
        return got is None and expected is None
    if isinstance(expected, bool) or isinstance(got, bool):
        return str(got).lower() in ("t", "true") if expected else str(got).lower() in ("f", "false")
    try:
        return float(got) == float(expected)  # type: ignore[arg-type]  # TypeError: caught
    except (TypeError, ValueError):
        return str(got) == str(expected)
