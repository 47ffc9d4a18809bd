"""Apply a migration's units the way a migration tool does: in order, each committed.

Outside ``BEGIN … COMMIT`` every statement commits on its own (autocommit); a
block's statements run in order on the same session and commit together. Each
unit's start and end (wall clock) are kept, so that what the load saw while it
ran can be set beside it, and a sampler on a second session reads ``pg_locks``
every ``LOCK_EVERY_S`` while it runs: which locks the script held, and which
sessions waited on it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg

from chaos.faults.sqlunits import Unit

APP_NAME = "chaos-migration"
LOCK_EVERY_S = 0.05     # a lock held for 100 ms is seen at least once

_LOCKS = """
SELECT l.mode, coalesce(c.relname, l.locktype), l.granted, l.pid = %(pid)s AS ours
FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation
WHERE (l.pid = %(pid)s AND l.locktype = 'relation' AND c.relkind IN ('r', 'p', 'm')
       AND c.relnamespace <> 'pg_catalog'::regnamespace)
   OR (NOT l.granted AND %(pid)s = ANY(pg_blocking_pids(l.pid)))
"""


@dataclass
class UnitRun:
    """One unit as it ran: when, how long, what it locked, who waited on it."""

    number: int
    start: float                                   # wall clock (time.time())
    end: float | None = None
    error: str | None = None
    locks: dict[str, str] = field(default_factory=dict)   # relation -> strongest mode seen
    waiting_sessions: int = 0                      # most sessions seen waiting at once

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.number, "start": round(self.start, 4),
                "duration_s": None if self.end is None else round(self.end - self.start, 4),
                "error": self.error, "locks": dict(self.locks),
                "waiting_sessions": self.waiting_sessions}


class SqlFailed(Exception):
    def __init__(self, unit: Unit, reason: str, runs: list[UnitRun]) -> None:
        super().__init__(f"unit {unit.number} (line {unit.line}) failed: {reason}")
        self.unit, self.reason, self.runs = unit, reason, runs


# The strongest lock mode first: what a table's readers and writers wait on.
_STRENGTH = ["AccessExclusiveLock", "ExclusiveLock", "ShareRowExclusiveLock", "ShareLock",
             "ShareUpdateExclusiveLock", "RowExclusiveLock", "RowShareLock", "AccessShareLock"]


def stronger(a: str | None, b: str) -> str:
    if a is None:
        return b
    rank = {m: i for i, m in enumerate(_STRENGTH)}
    return a if rank.get(a, 99) <= rank.get(b, 99) else b


class _Sampler:
    """Reads pg_locks on its own session while a unit runs."""

    def __init__(self, dsn: str, pid: int) -> None:
        self.dsn, self.pid = dsn, pid
        self.run: UnitRun | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lock-sampler", daemon=True)
        self.error: str | None = None

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        try:
            with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5,
                                 application_name=f"{APP_NAME}:locks") as conn:
                while not self._stop.is_set():
                    self._sample(conn)
                    self._stop.wait(LOCK_EVERY_S)
        except psycopg.Error as exc:   # the sampler is a witness: its loss is said, not fatal
            self.error = str(exc).strip()[:200]

    def _sample(self, conn: psycopg.Connection) -> None:
        run = self.run
        if run is None:
            return
        rows = conn.execute(_LOCKS, {"pid": self.pid}).fetchall()
        if self.run is not run:   # the next unit started meanwhile: whose locks are these?
            return
        waiting = 0
        for mode, rel, granted, ours in rows:
            if ours and granted:
                run.locks[str(rel)] = stronger(run.locks.get(str(rel)), str(mode))
            elif not ours:
                waiting += 1
        run.waiting_sessions = max(run.waiting_sessions, waiting)


def apply_units(dsn: str, units: list[Unit], upto: int, timeout_s: float = 120,
                sample_locks: bool = True,
                cut_last: bool = False) -> tuple[list[UnitRun], str | None]:
    """Apply units 1 … ``upto``; each run's timings and locks, and the sampler's error
    (None when it watched throughout). ``SqlFailed`` when a unit fails.

    ``cut_last``: the last statement (the final ``COMMIT``, or an autocommitted
    statement) is sent and the connection cut before its answer is read — the client
    never learns whether it committed. The server runs it anyway; the unit ends when
    its session is gone."""
    runs: list[UnitRun] = []
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10,
                         application_name=APP_NAME) as conn:
        conn.execute(f"SET statement_timeout = {int(timeout_s * 1000)}")
        pid = conn.info.backend_pid
        sampler = _Sampler(dsn, pid)
        with sampler if sample_locks else _Nothing():
            for unit in units[:upto]:
                run = UnitRun(unit.number, time.time())
                runs.append(run)
                sampler.run = run
                try:
                    last = cut_last and unit.number == upto
                    for stmt in unit.statements[:-1] if last else unit.statements:
                        conn.execute(stmt.text.encode())
                    if last:
                        _send_and_cut(conn, unit.statements[-1].text)
                        _wait_gone(dsn, pid, timeout_s)
                except psycopg.Error as exc:
                    run.end, run.error = time.time(), str(exc).strip()[:300]
                    _abandon(conn)
                    raise SqlFailed(unit, run.error, runs) from exc
                run.end = time.time()
                sampler.run = None
    return runs, sampler.error if sample_locks else "not sampled"


def _send_and_cut(conn: psycopg.Connection, text: str) -> None:
    """Send one statement and cut the connection before its answer can be read."""
    pg = conn.pgconn
    pg.send_query(text.encode())
    while pg.flush():   # 1: more to send; 0: all of it is in the kernel's hands
        time.sleep(0.001)
    cut = socket.socket(fileno=os.dup(pg.socket))
    try:
        cut.shutdown(socket.SHUT_RDWR)   # the one TCP connection, whichever fd holds it
    finally:
        cut.close()
        conn.close()   # closed as it is: leaving the `with` must not try to commit


def _wait_gone(dsn: str, pid: int, timeout_s: float) -> None:
    """Until the cut session has finished its statement and left (or ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5,
                         application_name=f"{APP_NAME}:watch") as watch:
        while time.monotonic() < deadline:
            row = watch.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                                (pid,)).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.02)


def _abandon(conn: psycopg.Connection) -> None:
    """A failed block leaves its transaction aborted: roll it back, as psql would on exit."""
    try:
        conn.execute("ROLLBACK")
    except psycopg.Error:
        conn.close()   # nothing to roll back, or the session is gone: closing ends it


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None
