"""Database faults: the server is up and its data is right, but sessions of ours hurt it.

Every session a fault opens is named ``chaos-fault:<type>`` (``application_name``),
so that it can be told apart in ``pg_stat_activity`` and is never confused with
the app's. Reverting closes them all; a restore that terminated them first is fine.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
from psycopg import sql
from pydantic import Field

from chaos.errors import FaultError
from chaos.faults.base import Fault
from chaos.partcontext import PartContext
from chaos.partregistry import faults
from chaos.scenario.base import Strict

APP_NAME = "chaos-fault"


def session(dsn: str, kind: str, autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=autocommit, connect_timeout=5,
                           application_name=f"{APP_NAME}:{kind}")


def close_quietly(conn: psycopg.Connection | None) -> None:
    if conn is None:
        return
    try:
        if not conn.closed and not conn.autocommit:
            conn.rollback()
    except psycopg.Error:
        pass  # terminated by a restore, or the server went away: closed either way
    finally:
        conn.close()


def _one(row: tuple[Any, ...] | None) -> Any:
    """The value of a query that always answers one row (SHOW, an aggregate)."""
    if row is None:
        raise FaultError("the database answered no row to a query that always has one")
    return row[0]


def table_name(name: str) -> sql.Composable:
    """``ledger`` or ``public.ledger`` as a quoted identifier (never spliced in raw)."""
    return sql.Identifier(*name.split(".", 1))


class ConnectionExhaustionParams(Strict):
    connections: int | None = Field(None, ge=1, le=10_000)
    """How many sessions to hold; default: every slot the server has."""
    terminate_app: bool = True
    """Also end the app's sessions, so its pool must reconnect (as after a failover)."""


@faults.register("connection_exhaustion")
class ConnectionExhaustion(Fault):
    """Hold every database connection slot so that the app cannot get one."""

    Params = ConnectionExhaustionParams
    requires_duration = True

    KEEP_EVERY_S = 0.2
    GRAB_BUDGET_S = 10.0

    def __init__(self, spec: Any, ctx: PartContext) -> None:
        super().__init__(spec, ctx)
        self.held: list[psycopg.Connection] = []
        self.limit = 0
        self.ended = 0
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    def grab(self, limit: int, until: float | None = None) -> str | None:
        """Open sessions until ``limit`` are held, the server refuses or ``until`` (a
        monotonic deadline) passes; why it stopped."""
        while len(self.held) < limit:
            if self._stop.is_set():     # reverted meanwhile (a slow inject): hold nothing
                return "reverted"
            if until is not None and time.monotonic() > until:
                return f"still opening sessions after {self.GRAB_BUDGET_S:.0f} s"
            try:
                self.held.append(session(self.ctx.db_dsn, "connection_exhaustion"))
            except psycopg.OperationalError as exc:
                return str(exc).strip().splitlines()[-1]
        return None

    def inject(self) -> None:
        with session(self.ctx.db_dsn, "connection_exhaustion") as probe:
            max_conn = int(_one(probe.execute("SHOW max_connections").fetchone()))
        self.limit = self.params.connections or max_conn
        # A loaded server can take seconds per session; the fault must still start.
        until = time.monotonic() + self.GRAB_BUDGET_S
        refused = self.grab(self.limit, until)
        # The app's pool reconnects as soon as its sessions end, and wins some of the
        # races for the freed slots; so end its sessions and take the slots in rounds
        # now, and keep doing it until revert (a keeper thread), or the app would
        # soon hold a few slots again and the outage would not be one.
        for _ in range(20 if self.params.terminate_app and self.held else 0):
            if not self.end_others():
                break
            refused = self.grab(self.limit, until) or refused
        self.detail = {"held": len(self.held), "max_connections": max_conn,
                       "app_sessions_ended": self.ended, "stopped_because": refused}
        if self.params.terminate_app and self.held and not self._stop.is_set():
            self._keeper = threading.Thread(target=self._keep, name="connection-keeper",
                                            daemon=True)
            self._keeper.start()

    def end_others(self) -> int:
        """End every client session that is not ours; how many there were."""
        row = self.held[0].execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            " AND application_name NOT LIKE %s", (APP_NAME + "%",)).fetchone()
        ended = int(_one(row))
        self.ended += ended
        return ended

    def _keep(self) -> None:
        while not self._stop.wait(self.KEEP_EVERY_S):
            try:
                if self.end_others():
                    self.grab(self.limit)
            except psycopg.Error:   # our own session went away: nothing left to keep
                return

    def revert(self) -> None:
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join(timeout=5)
        self.detail["app_sessions_ended"] = self.ended
        held, self.held = self.held, []
        for conn in held:
            close_quietly(conn)


class LockTableParams(Strict):
    table: str
    mode: str = Field("ACCESS EXCLUSIVE", pattern=r"^(ACCESS SHARE|ROW SHARE|ROW EXCLUSIVE|"
                      r"SHARE UPDATE EXCLUSIVE|SHARE|SHARE ROW EXCLUSIVE|EXCLUSIVE|"
                      r"ACCESS EXCLUSIVE)$")
    """PostgreSQL lock mode; ACCESS EXCLUSIVE blocks reads and writes alike."""


@faults.register("lock_table")
class LockTable(Fault):
    """Hold a table lock in an open transaction for the duration; requests queue and time out."""

    Params = LockTableParams
    requires_duration = True

    conn: psycopg.Connection | None = None

    def inject(self) -> None:
        self.conn = session(self.ctx.db_dsn, "lock_table", autocommit=False)
        self.conn.execute("SET lock_timeout = '10s'")
        # The mode is one of a fixed list (checked by the Params pattern).
        self.conn.execute(sql.SQL("LOCK TABLE {} IN " + self.params.mode + " MODE")
                          .format(table_name(self.params.table)))
        self.detail = {"table": self.params.table, "mode": self.params.mode}

    def revert(self) -> None:
        conn, self.conn = self.conn, None
        close_quietly(conn)


class LongTransactionParams(Strict):
    table: str
    """A table the transaction reads, so it holds a lock on it and an old snapshot."""
    blocked_ddl: str | None = None
    """A migration statement run beside it: it queues behind the transaction, and every
    query on the table then queues behind it. Rolled back on revert."""


@faults.register("long_transaction")
class LongTransaction(Fault):
    """Leave a session idle in transaction, holding a lock and a snapshot (blocks DDL, vacuum)."""

    Params = LongTransactionParams
    requires_duration = True

    def __init__(self, spec: Any, ctx: PartContext) -> None:
        super().__init__(spec, ctx)
        self.idle: psycopg.Connection | None = None
        self.ddl: psycopg.Connection | None = None
        self.ddl_thread: threading.Thread | None = None
        self.ddl_outcome: str | None = None

    def inject(self) -> None:
        self.idle = session(self.ctx.db_dsn, "long_transaction", autocommit=False)
        self.idle.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        self.idle.execute(sql.SQL("SELECT count(*) FROM {}").format(table_name(self.params.table)))
        self.detail = {"table": self.params.table}
        if self.params.blocked_ddl:
            self.ddl = session(self.ctx.db_dsn, "long_transaction-ddl", autocommit=False)
            self.ddl_thread = threading.Thread(target=self._run_ddl, args=(self.ddl,), daemon=True,
                                               name="long-transaction-ddl")
            self.ddl_thread.start()
            self.detail["blocked_ddl"] = self.params.blocked_ddl[:200]

    def _run_ddl(self, ddl: psycopg.Connection) -> None:
        try:
            ddl.execute(self.params.blocked_ddl.encode())   # waits for the idle session
            self.ddl_outcome = "ran"
        except psycopg.Error as exc:
            self.ddl_outcome = f"failed: {exc}".strip()

    def revert(self) -> None:
        idle, self.idle = self.idle, None
        close_quietly(idle)   # the queued DDL gets its lock now ...
        if self.ddl_thread is not None:
            self.ddl_thread.join(timeout=30)
        ddl, self.ddl = self.ddl, None
        close_quietly(ddl)    # ... and is rolled back: the schema stays as it was
