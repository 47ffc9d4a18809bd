"""Run a migration script as a migration tool would, from its first unit to its last.

``- run_migration: faults/reprice.sql`` reruns a script from the top the way a
person reruns a failed migration: each statement outside ``BEGIN … COMMIT``
commits on its own, each block together. It is the rehearsal's ``rerun``
recovery; unlike ``run_sql`` it never wraps the script in a transaction of its own,
so a script that cannot be rerun fails here as it would in production.
"""

from __future__ import annotations

from typing import Any

from chaos.errors import RecoveryError
from chaos.faults.sqlapply import SqlFailed, apply_units
from chaos.faults.sqlunits import load_units
from chaos.partregistry import steps
from chaos.recover.base import Step
from chaos.scenario.base import Strict
from chaos.scenario.contextual import ScenarioFile


class RunMigrationParams(Strict):
    path: ScenarioFile


@steps.register("run_migration")
class RunMigration(Step):
    """Run a SQL migration unit by unit, each committed (no wrapping transaction)."""

    Params = RunMigrationParams

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        if "script" not in event:
            return None
        return f"ran the migration {event['script']} ({event.get('units', '?')} units)"

    def run(self, t_fault: float | None) -> dict[str, Any]:
        units = load_units(self.params.path)
        try:
            apply_units(self.ctx.db_dsn, units, len(units), sample_locks=False)
        except SqlFailed as exc:
            raise RecoveryError(f"{self.params.path.name}: unit {exc.unit.number} "
                                f"(line {exc.unit.line}) failed: {exc.reason}") from exc
        return {"script": self.params.path.name, "units": len(units)}
