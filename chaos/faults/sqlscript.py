"""Running SQL scripts statement by statement, as a migration tool would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import sqlparse


def statements(path: Path) -> list[str]:
    """The script's statements, split the way psql would (quotes, dollar quotes)."""
    text = path.read_text(encoding="utf-8")
    out = []
    for stmt in sqlparse.split(text):
        body = sqlparse.format(stmt, strip_comments=True).strip().rstrip(";").strip()
        if body:
            out.append(stmt.strip())
    return out


class ScriptDied(Exception):
    """The script stopped at a statement, as the seed incident's script did."""

    def __init__(self, number: int, statement: str, reason: str, applied: int) -> None:
        super().__init__(f"statement {number} failed: {reason}")
        self.applied = applied    # statements that stay applied
        self.number = number
        self.statement = statement
        self.reason = reason


def run_script(dsn: str, path: Path, transactional: bool, fail_at: int | None = None,
               timeout_s: float = 60,
               before: Callable[[psycopg.Connection], None] | None = None) -> int:
    """Run the script; returns how many statements were applied.

    With ``fail_at`` the script dies at that statement (1-based) instead of
    running it. Outside a transaction the statements before it stay applied.
    ``before(conn)`` runs on the script's connection just before its first statement.
    """
    stmts = statements(path)
    with psycopg.connect(dsn, autocommit=not transactional, connect_timeout=10) as conn:
        conn.execute(f"SET statement_timeout = {int(timeout_s * 1000)}")
        if before is not None:
            before(conn)
        applied = 0
        for number, stmt in enumerate(stmts, start=1):
            if fail_at is not None and number == fail_at:
                if transactional:
                    conn.rollback()
                    applied = 0
                raise ScriptDied(number, stmt, "the script was killed here (injected failure)",
                                 applied)
            try:
                conn.execute(stmt.encode())
            except psycopg.Error as exc:
                if transactional:
                    conn.rollback()
                    applied = 0
                raise ScriptDied(number, stmt, str(exc).strip(), applied) from exc
            applied += 1
        if transactional:
            conn.commit()
        return applied


def wal_position(conn: psycopg.Connection) -> dict[str, str]:
    """Where the next WAL record will go: a point-in-time recovery to this LSN, exclusive,
    stops just before whatever this connection does next (``restore_pitr: before_fault``).
    Empty where it cannot be read (a server in recovery, a function revoked)."""
    try:
        with conn.transaction():
            row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    except psycopg.Error:
        return {}
    return {"wal_lsn_before": row[0]} if row else {}
