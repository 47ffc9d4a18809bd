"""Lost acknowledged writes, counted the way Jepsen's set checker does.

    lost       = acknowledged − present after recovery
    unknown    = writes that got no answer at all (timeout, dropped connection);
                 reported apart as found / missing, never counted as lost or kept

    log = WriteLog()
    log.add(obs, end_t, start_t)                  # every answered request (writes are kept)
    account(log, present_refs(...), t_fault)      # {"acknowledged": .., "lost": .., ...}

Writes are keyed by their ``write_ref`` (see ``chaos.load.proc.listener``). A
reference the client generated and sent survives a restore unambiguously; a
server-assigned id does not: a restore rewinds the id sequence, so a new row
can reuse the id of a lost one and hide the loss (docs/measurement.md).

The set check needs every acknowledged ref, so the log grows with the trial:
an hour at 1000 writes/s is 3.6 M refs, ~500 MB as a Python dict with the
refs read back from the database. It lives on disk instead (``WriteLog``), and
the memory a trial needs for it stays flat (docs/benchmarks.md, "Memory").
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from chaos.measure.observation import Observation

ACKED, UNKNOWN = 0, 1
FLUSH_EVERY = 4096         # writes buffered in memory between two inserts
CACHE_KIB = 8192           # SQLite's page cache (and its sorter's memory) per log


def _key(ref: str) -> bytes:
    # Bytes, not TEXT: a ref is any string the locustfile chose, lone surrogates
    # included, and byte equality is exactly Python's string equality.
    return ref.encode("utf-8", "surrogatepass")


def _ref(key: bytes) -> str:
    return key.decode("utf-8", "surrogatepass")


class WriteLog:
    """Every write of a trial: acknowledged ones (ref -> answer time) and unknown ones
    (ref -> start time), with a ``dict``'s semantics — a ref written twice keeps the
    time of its last write and the place of its first — but kept on disk.

    Why SQLite (the standard library's ``sqlite3``): it is an on-disk B-tree and an
    external sort with a fixed memory budget (``CACHE_KIB``), so building the indexes
    and comparing 3.6 M acknowledged refs with those the database still holds costs
    the same few MB whatever the length; it stores floats bit-exactly (8-byte IEEE,
    in untyped columns: even -0.0), so the numbers are those of the dict it
    replaces; and it needs no dependency. The database is SQLite's *private
    temporary* one (filename ``""``): the file is made in ``SQLITE_TMPDIR`` /
    ``TMPDIR`` / ``/var/tmp`` and unlinked as soon as it is opened, so nothing is
    left behind, even after a SIGKILL. About 60 B of disk per write during the
    trial, about 3x that while ``account`` runs.

    During the trial a write costs one row appended in a batch (no index to keep
    up: ~4 µs); ``account`` builds the indexes once, by sorting.

    One thread at a time adds (the trial loop); a lock guards the connection anyway.
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        for pragma in ("temp_store = FILE", f"cache_size = -{CACHE_KIB}",
                       "journal_mode = OFF", "synchronous = OFF"):
            self._db.execute(f"PRAGMA {pragma}")
        # t is untyped on purpose: a REAL column would store -0.0 as the integer 0.
        self._db.execute("CREATE TABLE writes (kind INTEGER, ref BLOB, t)")
        self._pending: list[tuple[int, bytes, float]] = []
        self._built_at = -1     # rows in `writes` when acked/unknown were last built
        self.observed = 0       # writes added (acknowledged or unknown): 0 means none was seen

    @classmethod
    def of(cls, acked: Mapping[str, float] | None = None,
           unknown: Mapping[str, float] | None = None) -> WriteLog:
        """A log holding these writes (tests, benchmarks): ``WriteLog.of(acked={"a": 1.0})``."""
        log = cls()
        log._pending += [(ACKED, _key(r), t) for r, t in (acked or {}).items()]
        log._pending += [(UNKNOWN, _key(r), t) for r, t in (unknown or {}).items()]
        log.observed = len(log._pending)
        return log

    def add(self, obs: Observation, end_t: float, start_t: float) -> None:
        if not obs.write or obs.ref is None:
            return
        if obs.ok:
            self._pending.append((ACKED, _key(obs.ref), end_t))
        elif obs.unknown_write:
            self._pending.append((UNKNOWN, _key(obs.ref), start_t))
        else:
            return
        self.observed += 1
        if len(self._pending) >= FLUSH_EVERY:
            self._flush()

    def close(self) -> None:
        with self._lock:
            self._pending = []
            self._db.close()

    # ---- reading back ------------------------------------------------------------

    def as_dicts(self) -> tuple[dict[str, float], dict[str, float]]:
        """(acked, unknown) as the dicts they replace, in memory: for tests and small logs."""
        self._build()
        return ({_ref(k): t for k, t in self._rows("SELECT ref, t FROM acked ORDER BY seq")},
                {_ref(k): t for k, t in self._rows("SELECT ref, t FROM unknown ORDER BY seq")})

    def written_refs(self, batch: int) -> Iterator[list[str]]:
        """Every ref written (acknowledged or unknown, each once), ``batch`` at a time.

        Paged by key (``ref > last``) rather than through an open cursor, so the
        caller may write to the log (``present``) between two batches."""
        self._build()
        pages = ("SELECT ref FROM acked WHERE ref > ? ORDER BY ref LIMIT ?",
                 "SELECT ref FROM unknown u WHERE ref > ? AND NOT EXISTS "
                 "(SELECT 1 FROM acked a WHERE a.ref = u.ref) ORDER BY ref LIMIT ?")
        for sql in pages:
            last = b""
            while rows := self._rows(sql, (last, batch)):
                last = rows[-1][0]
                yield [_ref(k) for (k,) in rows]

    def disk_bytes(self) -> int:
        """The size of the log's file now (pages in use, spilled or still cached)."""
        with self._lock:
            (pages,), (size,) = (self._db.execute(f"PRAGMA {p}").fetchone()
                                 for p in ("page_count", "page_size"))
        return int(pages) * int(size)

    # ---- the set check -----------------------------------------------------------

    def account(self, present: Iterable[str], t_fault: float | None,
                sample: int = 20) -> dict[str, Any]:
        """See ``account``."""
        self._build()
        self._load_present(present)
        with self._lock:
            self._db.execute("DROP TABLE IF EXISTS lost")
            self._db.execute("CREATE TABLE lost AS SELECT ref, t, seq FROM acked a "
                             "WHERE NOT EXISTS (SELECT 1 FROM present p WHERE p.ref = a.ref)")
        acknowledged, lost, first, last = self._rows(
            "SELECT (SELECT count(*) FROM acked), count(*), min(t), max(t) FROM lost")[0]
        unknown, unknown_found = self._rows(
            "SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM present p "
            "WHERE p.ref = u.ref)), 0) FROM unknown u")[0]
        result: dict[str, Any] = {
            "acknowledged": acknowledged,
            "lost": lost,
            "unknown": unknown,
            "unknown_found": unknown_found,
            "unknown_missing": unknown - unknown_found,
            # Oldest first; equal times in the order first acknowledged (a stable sort's).
            "lost_sample": [_ref(k) for (k,) in self._rows(
                "SELECT ref FROM lost ORDER BY t, seq LIMIT ?", (max(sample, 0),))],
            "lost_window_s": [round(first, 3), round(last, 3)] if lost else None,
        }
        result["rpo_s"] = self._rpo(t_fault, bool(lost))
        return result

    def _rpo(self, t_fault: float | None, any_lost: bool) -> float | None:
        """t_fault − answer time of the newest write acknowledged before the fault that survived."""
        if t_fault is None:
            return None
        if not any_lost:
            return 0.0
        newest: float | None = self._rows(
            "SELECT max(t) FROM acked a WHERE t <= ? AND EXISTS "
            "(SELECT 1 FROM present p WHERE p.ref = a.ref)", (t_fault,))[0][0]
        if newest is None:
            return None  # everything acknowledged before the fault is gone: no bound we can state
        return round(t_fault - newest, 3)

    # ---- storage -----------------------------------------------------------------

    def _flush(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
            if rows:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT INTO writes VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")

    def _build(self) -> None:
        """(Re)build ``acked`` and ``unknown`` (one row per ref) from the appended writes.

        Sorted by ref, each insert lands next to the previous one: the B-tree is built
        in one pass. Within a ref, rows come in write order, so the upsert leaves the
        last write's time and the first write's position (``seq``): a dict's semantics.
        """
        self._flush()
        with self._lock:
            (rows,) = self._db.execute("SELECT count(*) FROM writes").fetchone()
            if rows == self._built_at:
                return
            for table, kind in (("acked", ACKED), ("unknown", UNKNOWN)):
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
                self._db.execute(f"CREATE TABLE {table} (ref BLOB PRIMARY KEY, t, seq INTEGER) "
                                 "WITHOUT ROWID")
                self._db.execute(f"INSERT INTO {table} SELECT ref, t, rowid FROM writes "
                                 f"WHERE kind = {kind} ORDER BY ref, rowid "
                                 "ON CONFLICT (ref) DO UPDATE SET t = excluded.t")
            self._built_at = rows

    def _load_present(self, present: Iterable[str]) -> None:
        """The refs the database holds, streamed to disk, then indexed (by one sort)."""
        with self._lock:
            self._db.execute("DROP TABLE IF EXISTS present")
            self._db.execute("CREATE TABLE present (ref BLOB)")
        chunk: list[tuple[bytes]] = []
        for ref in present:
            chunk.append((_key(ref),))
            if len(chunk) >= FLUSH_EVERY:
                self._insert_present(chunk)
                chunk = []
        self._insert_present(chunk)
        with self._lock:
            self._db.execute("CREATE INDEX present_refs ON present (ref)")

    def _insert_present(self, rows: list[tuple[bytes]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO present VALUES (?)", rows)
            self._db.execute("COMMIT")

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()



def account(log: WriteLog, present: Iterable[str], t_fault: float | None,
            sample: int = 20) -> dict[str, Any]:
    """Acknowledged, lost, unknown (found / missing), the first ``sample`` lost refs
    (oldest first), their time window and the RPO, from the refs ``present`` in the
    database after recovery. ``present`` may be any iterable (``present_refs``
    streams it from the database); it is consumed once, onto disk."""
    return log.account(present, t_fault, sample)
