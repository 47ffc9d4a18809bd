"""Checks made against the database after a trial: which writes survived, invariants."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import psycopg

from chaos.measure.dataloss import WriteLog

REFS_PER_QUERY = 50_000   # ~5 MB of refs on our side per query, ~70 queries for an hour


class NotMeasured(Exception):
    """The scenario's ``data_loss.query`` could not say which writes survived."""


def present_refs(dsn: str, query: str, writes: WriteLog,
                 batch: int = REFS_PER_QUERY) -> Iterator[str]:
    """The refs the scenario's query finds, of those written (acknowledged or unknown),
    as the database returns them (a generator: errors raise ``NotMeasured`` while
    iterating; ``account`` consumes it onto disk).

    The query gets them as ``%(refs)s``, a text array, and returns one ref per row.
    It runs once per ``batch`` refs, on one connection: an hour's 3.6 M refs in one
    array would cost ~0.5 GB on our side (the Python strings, then psycopg's copy).
    A ref is found or not whatever batch it is in, so the union is the answer the
    single query gave.
    """
    batches = writes.written_refs(batch)
    first = next(batches, None)
    if first is None:
        return
    try:
        with psycopg.connect(dsn, connect_timeout=10, autocommit=True) as conn:
            conn.execute("SET statement_timeout = '60s'")
            yield from found_in(conn, query, itertools.chain([first], batches))
    except psycopg.Error as exc:
        raise NotMeasured(str(exc).strip() or type(exc).__name__) from None


def found_in(conn: Any, query: str, batches: Iterable[list[str]]) -> Iterator[str]:
    """The refs ``query`` returns on ``conn`` (a psycopg connection), one batch at a time."""
    for refs in batches:
        cur = conn.execute(query, {"refs": refs})
        if cur.description is None:
            raise NotMeasured("the data_loss query returned no rows at all (is it a SELECT?)")
        if len(cur.description) != 1:
            raise NotMeasured(f"the data_loss query must return one column (the ref), "
                              f"not {len(cur.description)}")
        for (ref,) in cur:
            if ref is not None:
                yield str(ref)


def check_invariants(dsn: str, invariants: list[Any]) -> list[dict[str, Any]]:
    """Each invariant's answer against its ``expect``. One that could not be read (the
    query failed, returned no row or no column) is not measured: ``passed`` False and
    ``error`` says why, never a pass, and never an exception that loses the record."""
    results = []
    for inv in invariants:
        entry: dict[str, Any] = {"name": inv.name, "query": inv.query, "expect": inv.expect,
                                 "observed": None, "passed": False}
        try:
            with psycopg.connect(dsn, connect_timeout=10, autocommit=True) as conn:
                row = conn.execute(inv.query).fetchone()
        except Exception as exc:  # psycopg's, or a value it could not decode: not measured
            entry["error"] = f"not measured: {str(exc).strip() or type(exc).__name__}"
        else:
            if not row:   # None: no row at all; (): a row of no column (SELECT FROM t)
                entry["error"] = ("not measured: the query returned no row" if row is None
                                  else "not measured: the query returned no column")
            else:
                entry.update(observed=row[0], passed=same_value(row[0], inv.expect))
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
