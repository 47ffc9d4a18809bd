"""Data faults: the database is up, but what it holds is wrong."""

from __future__ import annotations

from pydantic import Field

from chaos.faults.base import Fault
from chaos.faults.sqlscript import ScriptDied, run_script
from chaos.registry import faults
from chaos.scenario.base import Strict
from chaos.scenario.context import ScenarioFile


class HalfAppliedUpdateParams(Strict):
    script: ScenarioFile
    """SQL script, relative to the scenario file, run statement by statement."""
    fail_at_statement: int = Field(ge=1, le=100_000)
    """The statement (1-based) at which the script dies, leaving the earlier ones applied."""
    transactional: bool = False
    """Run the script in one transaction (so the failure rolls everything back)."""


@faults.register("half_applied_update")
class HalfAppliedUpdate(Fault):
    """Run an update script that dies midway, leaving the database inconsistent."""

    Params = HalfAppliedUpdateParams
    instant = True  # the script has died once inject() returns; the damage stays

    def inject(self) -> None:
        p = self.params
        try:
            applied = run_script(self.ctx.db_dsn, p.script, p.transactional, p.fail_at_statement)
            self.detail = {"applied": applied, "died": False}
        except ScriptDied as exc:
            # The expected outcome: the script stops where the scenario says.
            self.detail = {"applied": exc.applied, "died_at": exc.number,
                           "reason": exc.reason, "statement": exc.statement[:200],
                           "transactional": p.transactional}

    # revert: nothing. Undoing a half-applied update is the recovery's job
    # (restore a backup, rerun a fixed script); that is what is being measured.
