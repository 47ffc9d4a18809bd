"""Backups taken during a trial, and restoring the newest one before a fault.

Each backup is ``pg_dump -Fc`` run inside the database container: a snapshot
as of the moment the dump started, which is the time we record for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.lab.lab import Lab
from chaos.lab.postgres.dbexec import db_exec
from chaos.measure.timeline import Clock

BACKUP_DIR = "/tmp/chaos-backups"
SNAPSHOT_MARGIN_S = 1.0


@dataclass(frozen=True)
class Backup:
    number: int
    path: str
    started_t: float     # snapshot instant (trial clock)
    done_t: float
    bytes: int = 0       # the dump file's size


class BackupStore:
    """A lab's backups: taken with ``pg_dump``, kept in the database container, restored."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.taken: list[Backup] = []

    def take(self, number: int, clock: Clock, name: str | None = None) -> Backup:
        path = f"{BACKUP_DIR}/{name or f'backup-{number:04d}'}.dump"
        started = clock.now()
        db_exec(self.lab, ["sh", "-c", f"mkdir -p {BACKUP_DIR}"], "mkdir for backups")
        db_exec(self.lab, ["pg_dump", "-h", "127.0.0.1", "-Fc", "-f", path], "pg_dump")
        done = clock.now()
        size = db_exec(self.lab, ["stat", "-c", "%s", path], "sizing the dump").strip()
        backup = Backup(number, path, started, done, int(size) if size.isdigit() else 0)
        self.taken.append(backup)
        return backup

    def newest_before(self, t: float | None) -> Backup | None:
        """The newest finished backup whose snapshot predates ``t``.

        A dump is a snapshot as of its start, so one still running when the fault
        began is usable once it has finished (at 5M rows a dump takes ~12 s; requiring
        it to have *finished* before the fault restored the one before, 30 s older).
        Its snapshot is taken when ``pg_dump`` connects, a ``docker exec`` start after
        ``started_t``: ``SNAPSHOT_MARGIN_S`` keeps a dump that may have seen the fault's
        first statement out."""
        done = [b for b in self.taken if t is None or b.started_t + SNAPSHOT_MARGIN_S <= t]
        return max(done, key=lambda b: b.started_t) if done else None

    def restore(self, backup: Backup) -> None:
        # Sessions holding locks on the broken tables would make the restore
        # wait behind them; a person restoring a backup would kick them out too.
        db_exec(self.lab, ["psql", "-h", "127.0.0.1", "-v", "ON_ERROR_STOP=1", "-qAt", "-c",
                           "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()"],
                "terminating sessions before restore")
        db_exec(self.lab, ["pg_restore", "-h", "127.0.0.1", "--clean", "--if-exists",
                           "--single-transaction", "--no-owner", "-d", self.lab.spec.db_name,
                           backup.path], "pg_restore")
