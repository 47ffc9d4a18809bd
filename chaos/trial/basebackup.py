"""With ``lab.wal_archive``: one ``pg_basebackup`` as the trial starts, under load.

    base = BaseBackupSchedule(ctx)
    base.start()        # on a worker thread: base_backup_started, then _taken (or _failed)
    base.join()

``restore_pitr`` restores the newest base backup completed before the fault; the
event carries what it needs (the WAL position replay starts from, the size).
"""

from __future__ import annotations

from chaos.lab.walarchive import take_base_backup
from chaos.measure.eventkinds import Kind
from chaos.trial.context import TrialContext, Worker


class BaseBackupSchedule:
    def __init__(self, ctx: TrialContext) -> None:
        self.ctx = ctx
        self.thread: Worker | None = None

    def start(self) -> None:
        lab, tl, clock = self.ctx.lab, self.ctx.timeline, self.ctx.clock
        if lab is None or not lab.spec.wal_archive_timeout:
            return

        def take() -> None:
            t0 = clock.now()
            tl.add(Kind.BASE_BACKUP_STARTED, t=t0)
            try:
                b = take_base_backup(lab)
            except Exception as exc:   # on the record; restore_pitr then says there is none
                tl.add(Kind.BASE_BACKUP_FAILED, error=f"{type(exc).__name__}: {exc}",
                       took_s=round(clock.now() - t0, 3))
                raise
            tl.add(Kind.BASE_BACKUP_TAKEN, started_t=round(t0, 3),
                   took_s=round(clock.now() - t0, 3), bytes=b.bytes, start_lsn=b.start_lsn,
                   start_wal=b.start_wal)

        self.thread = Worker("base-backup", take)
        self.thread.start()

    def join(self, timeout: float = 300) -> None:
        if self.thread is not None:
            self.thread.join(timeout=timeout)
