"""Checks made against the database after a trial: which writes survived, invariants."""

from __future__ import annotations

from typing import Any

import psycopg

from chaos.measure.dataloss import WriteLog


def present_refs(dsn: str, writes: WriteLog) -> set[str]:
    refs = list(writes.acked) + list(writes.unknown)
    if not refs:
        return set()
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        rows = conn.execute("SELECT client_ref::text FROM orders WHERE client_ref = ANY(%s::uuid[])",
                            (refs,)).fetchall()
    return {r[0] for r in rows}


def check_invariants(dsn: str, invariants: list[Any]) -> list[dict[str, Any]]:
    from chaos.detect.engines import same_value

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
