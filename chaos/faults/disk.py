"""The database's disk runs out of space: writes to one table fail, reads go on.

Filling the database's real volume would fill the host's disk, and PostgreSQL
PANICs when it cannot write WAL. So a lab whose scenario has ``disk_full`` gets a
size-capped tmpfs in the db service (``chaos.lab.features.dbdisk``); before load starts
the fault moves one table and its indexes to a tablespace there, and injecting
fills the mount with a ballast file. Extending that table's files then fails
with an ERROR ("could not extend file ...: No space left on device") while WAL
stays on the normal volume. Revert deletes the ballast; at the trial's end the
table moves back to ``pg_default`` and the tablespace is dropped.

Every command runs in the db container with an argv list (no shell); the table
name only ever reaches SQL as a quoted identifier.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from pydantic import Field

from chaos.errors import FaultError, LabError
from chaos.faults.base import Fault
from chaos.faults.database import session, table_name
from chaos.lab.features.dbdisk import DISK_MOUNT, SmallDisk
from chaos.partregistry import faults
from chaos.parts import Conflict, LabNeeds
from chaos.scenario.base import Strict

TABLESPACE = "chaos_disk"
TS_DIR = f"{DISK_MOUNT}/pgdata"
BALLAST = f"{DISK_MOUNT}/chaos-ballast"
TOP_OFF = f"{DISK_MOUNT}/chaos-ballast-2"
# Faults that restart the db container, which empties its tmpfs (and the table on it).
RESTARTS_DB = {"kill", "stop", "restart"}


#: Bytes left to `dd` after the fallocate (see ``fill``).
FALLOCATE_MARGIN = 1 << 20


class DiskFullParams(Strict):
    table: str
    """The table (with its indexes) put on the small disk; inserts into it fail."""
    size: str = Field("32m", pattern=r"^[1-9][0-9]{0,2}m$")
    """Capacity of the small disk (a tmpfs: memory, never host disk), 1m to 999m;
    the table must fit in it."""


@faults.register("disk_full")
class DiskFull(Fault):
    """Fill the disk under one table (a capped tmpfs): writes to it fail, reads do not."""

    Params = DiskFullParams
    filled: int   # bytes of ballast written; inject() starts it at 0

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds:
        return LabNeeds(db_disk_mb=int(params.size[:-1]))

    @classmethod
    def conflicts(cls, params: Any, scenario: Any) -> list[Conflict]:
        """A restart of the database empties its tmpfs, and the table on it with it."""
        db = scenario.lab.db
        return [(("faults", i, "target"), (
                    f"'{f.type}' of the database cannot be combined with disk_full: a restart "
                    "empties the small disk (a tmpfs) and loses the table on it"))
                for i, f in enumerate(scenario.faults)
                if f.type in RESTARTS_DB and getattr(f.params, "target", None) == db]

    # ---- helpers ------------------------------------------------------------

    def container(self) -> Any:   # the lab's docker Container (only lab/ names docker)
        return self.need_lab().container(self.need_lab().spec.db_service)

    def run(self, argv: list[str], what: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        code, out = self.container().exec_run(argv, user="root", demux=False)
        text = (out or b"").decode(errors="replace").strip()
        if code not in ok_codes:
            raise FaultError(f"disk_full: {what} failed (exit {code}): {text[-400:]}")
        return text

    def free_bytes(self) -> int:
        avail, bsize = self.run(["stat", "-f", "-c", "%a %S", DISK_MOUNT], "stat").split()
        return int(avail) * int(bsize)

    def relations(self, conn: psycopg.Connection) -> list[sql.Composable]:
        """The table, then its indexes, as SQL names."""
        rows = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.indrelid = %s::regclass",
            (self.params.table,)).fetchall()
        return [sql.Identifier(ns, name) for ns, name in rows]

    def move(self, conn: psycopg.Connection, tablespace: str) -> None:
        ts = sql.Identifier(tablespace)
        conn.execute("SET lock_timeout = '10s'")
        conn.execute(sql.SQL("ALTER TABLE {} SET TABLESPACE {}")
                     .format(table_name(self.params.table), ts))
        for index in self.relations(conn):
            conn.execute(sql.SQL("ALTER INDEX {} SET TABLESPACE {}").format(index, ts))

    # ---- life cycle ---------------------------------------------------------

    def check(self) -> None:
        lab = self.need_lab()
        if lab.spec.feature(SmallDisk) is None:
            raise FaultError(
                "disk_full: this lab was started without the small disk in the database "
                "(filling its real volume would fill this host's disk); start the lab from "
                "this scenario (chaos run / chaos lab up FILE) so that it is wired in")
        try:
            kind = self.run(["stat", "-f", "-c", "%T", DISK_MOUNT], "stat")
        except LabError as exc:
            raise FaultError(f"disk_full: {exc}") from exc
        if kind != "tmpfs":   # never fill anything but our own capped tmpfs
            raise FaultError(f"disk_full: {DISK_MOUNT} in the database is {kind!r}, not a tmpfs")
        self.run(["install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", TS_DIR],
                 "creating the tablespace directory")
        try:
            with session(self.ctx.db_dsn, "disk_full") as conn:
                if not conn.execute("SELECT 1 FROM pg_tablespace WHERE spcname = %s",
                                    (TABLESPACE,)).fetchone():
                    conn.execute(sql.SQL("CREATE TABLESPACE {} LOCATION {}").format(
                        sql.Identifier(TABLESPACE), sql.Literal(TS_DIR)))
                # Compact first: free space left inside the table's pages (by earlier
                # load) would take new rows without the disk being asked for any.
                conn.execute(sql.SQL("VACUUM FULL {}").format(table_name(self.params.table)))
                self.move(conn, TABLESPACE)
        except psycopg.Error as exc:
            raise FaultError(f"disk_full: moving {self.params.table} to the small disk "
                             f"failed: {str(exc).strip()}") from exc

    def vacuum(self) -> str | None:
        """Cut the empty pages off the table's end, so that inserts must extend it.

        Under concurrent inserts PostgreSQL extends a table by many pages at once
        (and lists them as free): on a full disk, inserts would go on filling those
        for minutes. VACUUM truncates them (best effort: it needs a brief exclusive
        lock, and its own writes may fail on the full disk)."""
        try:
            with session(self.ctx.db_dsn, "disk_full") as conn:
                conn.execute(sql.SQL("VACUUM (TRUNCATE) {}").format(table_name(self.params.table)))
            return None
        except psycopg.Error as exc:
            return str(exc).strip().splitlines()[0]

    def fill(self) -> None:
        # Writes go on while this runs: fallocating exactly what `stat` said was free
        # can fail with ENOSPC once the table grew in between. Leave a margin that
        # the dd below fills.
        free = self.free_bytes() - FALLOCATE_MARGIN
        if free > 0 and not self.filled:
            self.run(["fallocate", "-l", str(free), BALLAST], "fallocate")
            self.filled = free
        # Whatever is left: dd until ENOSPC (exit 1 is the expected end).
        if self.free_bytes() > 0:
            self.run(["dd", "if=/dev/zero", f"of={TOP_OFF}", "bs=4096", "oflag=append",
                      "conv=notrunc"], "dd", ok_codes=(0, 1))

    def inject(self) -> None:
        self.filled = 0
        self.vacuum()
        self.fill()
        vacuum_error = self.vacuum()   # pages added between the first vacuum and the fill
        self.fill()
        disk = self.need_lab().spec.feature(SmallDisk)
        self.detail = {"table": self.params.table, "size": disk.size if disk else None,
                       "ballast_bytes": self.filled, "free_bytes": self.free_bytes()}
        if vacuum_error:
            self.detail["vacuum"] = vacuum_error

    def revert(self) -> None:
        self.run(["rm", "-f", BALLAST, TOP_OFF], "removing the ballast")

    def cleanup(self) -> None:
        """Put the table back on the database's volume and drop the tablespace."""
        try:
            with session(self.ctx.db_dsn, "disk_full") as conn:
                if not conn.execute("SELECT 1 FROM pg_tablespace WHERE spcname = %s",
                                    (TABLESPACE,)).fetchone():
                    return
                self.move(conn, "pg_default")
                conn.execute(sql.SQL("DROP TABLESPACE {}").format(sql.Identifier(TABLESPACE)))
        except psycopg.Error as exc:
            raise FaultError(f"disk_full: moving {self.params.table} back failed: "
                             f"{str(exc).strip()}") from exc
