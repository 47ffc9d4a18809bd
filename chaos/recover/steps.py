"""Runbook steps a recovery runs in order: ``- restore_backup: latest``, ``- wait: 5s``."""

from __future__ import annotations

import time
from typing import Any, Literal

from chaos.errors import RecoveryError
from chaos.faults.sqlscript import ScriptDied, run_script
from chaos.lab.resources import wait_healthy
from chaos.partregistry import steps
from chaos.parts import LabNeeds
from chaos.recover.base import Step
from chaos.scenario.base import Strict
from chaos.scenario.contextual import ScenarioFile, ServiceName
from chaos.scenario.duration import Duration


class RestoreBackupParams(Strict):
    backup: Literal["latest"] = "latest"


class RunSqlParams(Strict):
    path: ScenarioFile
    transactional: bool = True


class RestartParams(Strict):
    service: ServiceName


class WaitParams(Strict):
    duration: Duration


@steps.register("restore_backup")
class RestoreBackup(Step):
    """Restore the database from the newest backup taken before the fault."""

    Params = RestoreBackupParams

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds:
        return LabNeeds(backups=True)

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        if "backup" not in event:
            return None
        size = event.get("restored_bytes")
        return f"restored backup #{event['backup']}" + (
            f" ({size / 2**20:.1f} MiB dump)" if size else "")

    def run(self, t_fault: float | None) -> dict[str, Any]:
        backups = self.need_backups()
        backup = backups.newest_before(t_fault)
        if backup is None:
            raise RecoveryError("no finished backup has a snapshot from before the fault: "
                                "nothing to restore")
        backups.restore(backup)
        return {"backup": backup.number, "snapshot_t": round(backup.started_t, 3),
                "restored_bytes": backup.bytes}


@steps.register("run_sql")
class RunSql(Step):
    """Run a SQL script (relative to the scenario file) against the database."""

    Params = RunSqlParams

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        if "script" not in event:
            return None
        count = event.get("statements")
        return f"ran {event['script']}" + (
            f" ({count} statement{'s' if count != 1 else ''})" if count is not None else "")

    def run(self, t_fault: float | None) -> dict[str, Any]:
        try:
            applied = run_script(self.ctx.db_dsn, self.params.path, self.params.transactional)
        except ScriptDied as exc:
            raise RecoveryError(f"{self.params.path.name}: {exc}") from exc
        return {"script": self.params.path.name, "statements": applied}


@steps.register("restart")
class RestartStep(Step):
    """Restart a service's container and wait for it to be healthy."""

    Params = RestartParams

    def run(self, t_fault: float | None) -> dict[str, Any]:
        lab = self.need_lab()
        lab.container(self.params.service).restart(timeout=10)
        wait_healthy(lab.id, timeout=120)
        return {"service": self.params.service}


@steps.register("wait")
class Wait(Step):
    """Do nothing for a while (e.g. let caches drain)."""

    Params = WaitParams

    def run(self, t_fault: float | None) -> dict[str, Any]:
        time.sleep(self.params.duration)
        return {}
