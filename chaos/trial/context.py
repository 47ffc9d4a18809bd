"""What faults, detectors and steps of one trial may use, and the worker thread they run on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from docker.errors import DockerException

from chaos.errors import LabError
from chaos.lab.lab import Lab
from chaos.measure.timeline import Clock, Timeline
from chaos.recover.backups import BackupStore

if TYPE_CHECKING:
    from chaos.scenario import Scenario


class TrialContext:
    """The trial's lab, clock, timeline and addresses, handed to every part."""

    def __init__(self, scenario: Scenario, lab: Lab | None, clock: Clock, timeline: Timeline,
                 backups: BackupStore | None, app_url: str, db_dsn: str, workdir: Path) -> None:
        self.scenario, self.lab, self.clock, self.timeline = scenario, lab, clock, timeline
        self.backups, self.app_url, self.workdir = backups, app_url, workdir
        self._db_dsn, self._db_dsn_read = db_dsn, time.monotonic()

    @property
    def db_dsn(self) -> str:
        # A restarted database container gets a new published port from Docker
        # (kill, restart), so the address is looked up again, at most once a second.
        if self.lab is not None and time.monotonic() - self._db_dsn_read > 1.0:
            try:
                self._db_dsn = self.lab.db_dsn
            except (LabError, DockerException, OSError, KeyError):
                pass  # the container is gone or stopped: keep the last address
            self._db_dsn_read = time.monotonic()
        return self._db_dsn


class Worker(threading.Thread):
    """A thread that keeps the exception of the work it ran, for whoever joins it."""

    def __init__(self, name: str, work: Callable[[], None]) -> None:
        super().__init__(name=name, daemon=True)
        self.work = work
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as exc:  # reported by whoever joins us
            self.error = exc
