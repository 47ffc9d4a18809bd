"""WAL archiving in the database (``lab.wal_archive``), for ``restore_pitr``.

The override adds the archive volume and the server options
(``chaos.lab.postgres.walarchive``); once the lab is healthy the archive is handed to
the server; during each trial one ``pg_basebackup`` is taken as the trial
starts, under load, and put on the timeline: ``restore_pitr`` restores the
newest base backup completed before the fault, from what that event carries
(the WAL position replay starts from, the size).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import ClassVar

from chaos.lab.feature import LabFeature, LabHandle, OverrideDoc, TrialTools, lab_feature
from chaos.lab.postgres.walarchive import prepare_archive, take_base_backup, wal_archive_override
from chaos.measure.eventkinds import Kind
from chaos.parts import LabNeeds
from chaos.scenario import Scenario
from chaos.scenario.base import Strict
from chaos.scenario.duration import Duration
from chaos.scenario.laboptions import LabOption


class WalArchiveSection(Strict):
    """``lab.wal_archive``: archive every WAL segment, for ``restore_pitr`` (docs/scenarios.md)."""

    archive_timeout: Duration = 1.0
    """Force a segment switch this often (whole seconds, rounded up)."""

    @property
    def timeout_s(self) -> int:
        return max(1, math.ceil(self.archive_timeout))


@lab_feature
@dataclass(frozen=True)
class WalArchive(LabFeature):
    name: ClassVar[str] = "wal_archive"
    option: ClassVar[LabOption | None] = LabOption(
        "wal_archive", WalArchiveSection, what="WAL archiving", server_options=True)
    timeout_s: int = 1    # archive_timeout: a segment switch at least this often

    @classmethod
    def from_scenario(cls, scenario: Scenario, needs: LabNeeds) -> WalArchive | None:
        wal = scenario.lab.option(WalArchiveSection)
        return cls(timeout_s=wal.timeout_s) if wal else None

    def override(self, o: OverrideDoc) -> None:
        wal_archive_override(o.doc, o.base, o.spec, o.tags, self.timeout_s)

    def ready(self, lab: LabHandle) -> None:
        prepare_archive(lab)

    def trial_worker(self, lab: LabHandle, trial: TrialTools) -> BaseBackupWorker:
        return BaseBackupWorker(lab, trial)


class BaseBackupWorker:
    """One base backup on its own thread: base_backup_started, then _taken (or _failed)."""

    def __init__(self, lab: LabHandle, trial: TrialTools, timeout: float = 300) -> None:
        self.lab, self.trial, self.timeout = lab, trial, timeout
        self.thread = threading.Thread(target=self.take, name="base-backup", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.thread.join(timeout=self.timeout)

    def take(self) -> None:
        tl, clock = self.trial.timeline, self.trial.clock
        t0 = clock.now()
        tl.add(Kind.BASE_BACKUP_STARTED, t=t0)
        try:
            b = take_base_backup(self.lab)
        except Exception as exc:   # on the record; restore_pitr then says there is none
            tl.add(Kind.BASE_BACKUP_FAILED, error=f"{type(exc).__name__}: {exc}",
                   took_s=round(clock.now() - t0, 3))
            return
        tl.add(Kind.BASE_BACKUP_TAKEN, started_t=round(t0, 3),
               took_s=round(clock.now() - t0, 3), bytes=b.bytes, start_lsn=b.start_lsn,
               start_wal=b.start_wal)
