"""Data faults: the database is up, but what it holds is wrong."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from pydantic import Field, model_validator

from chaos.errors import FaultError
from chaos.faults.base import Fault
from chaos.faults.database import session, table_name
from chaos.faults.sqlscript import ScriptDied, run_script, statements, wal_position
from chaos.partcontext import PartContext
from chaos.partregistry import faults
from chaos.parts import Lesson, code
from chaos.scenario.base import Strict
from chaos.scenario.contextual import ScenarioFile


class HalfAppliedUpdateParams(Strict):
    script: ScenarioFile
    """SQL script, relative to the scenario file, run statement by statement."""
    fail_at_statement: int = Field(ge=1, le=100_000)
    """The statement (1-based) at which the script dies, leaving the earlier ones applied."""
    transactional: bool = False
    """Run the script in one transaction (so the failure rolls everything back)."""

    @model_validator(mode="after")
    def _dies_inside_the_script(self) -> HalfAppliedUpdateParams:
        try:
            count = len(statements(self.script))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{self.script.name}: cannot be split into statements: "
                             f"{exc}") from None
        if count == 0:
            raise ValueError(f"{self.script.name} holds no SQL statement (only comments?)")
        if self.fail_at_statement > count:
            raise ValueError(f"fail_at_statement {self.fail_at_statement} is past the end: "
                             f"{self.script.name} has {count} statement{'s' if count != 1 else ''}")
        return self


@faults.register("half_applied_update")
class HalfAppliedUpdate(Fault):
    """Run an update script that dies midway, leaving the database inconsistent."""

    Params = HalfAppliedUpdateParams
    instant = True  # the script has died once inject() returns; the damage stays

    def inject(self) -> None:
        p = self.params
        mark: dict[str, Any] = {}

        def before(conn: psycopg.Connection) -> None:
            mark.update(wal_position(conn), wal_lsn_t=round(self.ctx.clock.now(), 4))

        try:
            applied = run_script(self.ctx.db_dsn, p.script, p.transactional, p.fail_at_statement,
                                 before=before)
            self.detail = {"applied": applied, "died": False, **mark}
        except ScriptDied as exc:
            # The expected outcome: the script stops where the scenario says.
            self.detail = {"applied": exc.applied, "died_at": exc.number,
                           "reason": exc.reason, "statement": exc.statement[:200],
                           "transactional": p.transactional, **mark}

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        if event.get("died") is False:
            return f"the script ran to completion ({event.get('applied', '?')} statements)"
        if "died_at" not in event:
            return None
        statement = f" ({code(event['statement'])})" if event.get("statement") else ""
        applied = event.get("applied", 0)
        line = (f"script died at statement {event['died_at']}{statement} leaving "
                f"{applied} statement{'s' if applied != 1 else ''} applied")
        if event.get("transactional") is True:
            line += ", inside a transaction that rolled them back"
        elif event.get("transactional") is False:
            line += ", outside any transaction"
        return line

    @classmethod
    def lessons(cls, event: dict[str, Any]) -> list[Lesson]:
        if "died_at" not in event or event.get("transactional") is not False:
            return []
        applied = event.get("applied", 0)
        return [("transaction",
                 "Run migrations in a transaction (or make every statement safe to "
                 f"re-run): the script died at statement {event['died_at']} with {applied} "
                 f"statement{'s' if applied != 1 else ''} already applied, and the "
                 "database stayed half-migrated until it was restored.")]

    # revert: nothing. Undoing a half-applied update is the recovery's job
    # (restore a backup, rerun a fixed script); that is what is being measured.


class CorruptRowsParams(Strict):
    table: str
    column: str
    rows: int = Field(100, ge=1, le=10_000_000)
    """How many rows (picked at random) get the bad value."""
    value: int | float | str | None = None
    """The value written (bound as a parameter); null by default."""
    drop_constraints: bool = False
    """Drop the column's NOT NULL and CHECK constraints first, as a careless fix-up script
    would; a backup restore brings them back."""


@faults.register("corrupt_rows")
class CorruptRows(Fault):
    """Overwrite a column in N random rows with a bad value, so reads and an invariant break."""

    Params = CorruptRowsParams
    instant = True  # revert: nothing; the recovery (a restore) is what is measured

    def inject(self) -> None:
        p = self.params
        table, column = table_name(p.table), sql.Identifier(p.column)
        dropped: list[str] = []
        with session(self.ctx.db_dsn, "corrupt_rows", autocommit=False) as conn:
            mark = {**wal_position(conn), "wal_lsn_t": round(self.ctx.clock.now(), 4)}
            if p.drop_constraints:
                dropped = drop_column_constraints(conn, p.table, p.column)
            cur = conn.execute(
                sql.SQL("UPDATE {t} SET {c} = %s WHERE ctid = ANY(ARRAY("
                        "SELECT ctid FROM {t} ORDER BY random() LIMIT %s))")
                .format(t=table, c=column), (p.value, p.rows))
            conn.commit()
        self.detail = {"table": p.table, "column": p.column, "rows": cur.rowcount,
                       "constraints_dropped": dropped, **mark}


def drop_column_constraints(conn: psycopg.Connection, table: str, column: str) -> list[str]:
    checks = [r[0] for r in conn.execute(
        "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a"
        " ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
        " WHERE c.conrelid = %s::regclass AND c.contype = 'c' AND a.attname = %s",
        (table, column)).fetchall()]
    for name in checks:
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}")
                     .format(table_name(table), sql.Identifier(name)))
    conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL")
                 .format(table_name(table), sql.Identifier(column)))
    return checks + ["NOT NULL"]


class DropIndexParams(Strict):
    index: str
    """The index to drop; one backing a constraint drops the constraint (and the foreign
    keys that need it), all re-created on revert."""


@faults.register("drop_index")
class DropIndex(Fault):
    """Drop an index (re-created on revert, with its constraint); queries fall back to scans."""

    Params = DropIndexParams

    def __init__(self, spec: Any, ctx: PartContext) -> None:
        super().__init__(spec, ctx)
        self.restore: list[str] = []

    def inject(self) -> None:
        with session(self.ctx.db_dsn, "drop_index", autocommit=False) as conn:
            conn.execute("SET lock_timeout = '10s'")
            row = conn.execute(
                "SELECT i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid),"
                " c.conname, pg_get_constraintdef(c.oid)"
                " FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid"
                " AND c.conrelid = i.indrelid WHERE i.indexrelid = %s::regclass",
                (self.params.index,)).fetchone()
            if row is None:
                raise FaultError(f"drop_index: no index {self.params.index!r}")
            table, indexdef, conname, condef = row
            if conname is None:
                restore = [indexdef]
                conn.execute(sql.SQL("DROP INDEX {}").format(table_name(self.params.index)))
            else:
                # Foreign keys elsewhere that lean on this index go with it, and come back.
                fks = conn.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                    " FROM pg_constraint WHERE contype = 'f' AND conindid = %s::regclass",
                    (self.params.index,)).fetchall()
                restore = [f"ALTER TABLE {table} ADD CONSTRAINT {quote(conname)} {condef}"]
                restore += [f"ALTER TABLE {t} ADD CONSTRAINT {quote(n)} {d}" for t, n, d in fks]
                conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {} CASCADE")
                             .format(sql.SQL(table), sql.Identifier(conname)))
            conn.commit()
        self.restore = restore
        self.detail = {"dropped": self.params.index, "table": table, "recreate": restore}

    def revert(self) -> None:
        restore, self.restore = self.restore, []
        if not restore:
            return
        with session(self.ctx.db_dsn, "drop_index") as conn:
            for stmt in restore:
                # Statements built by PostgreSQL's own pg_get_*def from the catalog.
                try:
                    conn.execute(stmt.encode())
                except (psycopg.errors.DuplicateObject, psycopg.errors.DuplicateTable,
                        psycopg.errors.InvalidTableDefinition):
                    pass  # a backup restore already brought it back


def quote(identifier: str) -> str:
    return sql.Identifier(identifier).as_string(None)
