"""A migration stopped at a boundary: its first *k* units applied, the rest never run.

The unit of a rehearsal (``chaos rehearse``): the script is cut by PostgreSQL's own
parser (``chaos.faults.sqlunits``), its first ``units`` units are applied as a
migration tool would (``chaos.faults.sqlapply``), and the database is left that
way for the fault's ``duration`` — the window in which the load shows what users
see of a half-applied migration. The scenario's invariants are read once the
units are in, so the record says what was broken while it was half-applied.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from chaos.errors import ScenarioError
from chaos.faults.base import Fault
from chaos.faults.sqlapply import SqlFailed, apply_units
from chaos.faults.sqlunits import Unit, load_units
from chaos.measure.verify import check_invariants
from chaos.partregistry import faults
from chaos.scenario.base import Strict
from chaos.scenario.contextual import ScenarioFile


class PartialMigrationParams(Strict):
    script: ScenarioFile
    """The migration script, relative to the scenario file."""
    units: int = Field(ge=0, le=100_000)
    """How many units (a statement, or a whole BEGIN … COMMIT block) are applied."""
    lose_ack: bool = False
    """Cut the connection once the last unit's final statement is sent: it commits, and
    the client never hears so (the boundary a rerun after a lost acknowledgement tests)."""

    @model_validator(mode="after")
    def _within_the_script(self) -> PartialMigrationParams:
        try:
            count = len(load_units(self.script))
        except ScenarioError as exc:
            raise ValueError("; ".join(str(p) for p in exc.problems)) from None
        if self.lose_ack and self.units == 0:
            raise ValueError("lose_ack needs at least one unit applied (units: 1 or more)")
        if self.units > count:
            raise ValueError(f"units {self.units} is past the end: {self.script.name} has "
                             f"{count} unit{'s' if count != 1 else ''}")
        return self


@faults.register("partial_migration")
class PartialMigration(Fault):
    """Apply the first N units of a migration script and leave it there for a while."""

    Params = PartialMigrationParams
    requires_duration = True

    def inject(self) -> None:
        p = self.params
        units: list[Unit] = load_units(p.script)
        detail: dict[str, Any] = {"script": p.script.name, "units": p.units,
                                  "of_units": len(units)}
        try:
            runs, sampler_error = apply_units(self.ctx.db_dsn, units, p.units,
                                              cut_last=p.lose_ack)
            detail.update(applied=p.units, runs=[r.as_dict() for r in runs])
            if p.lose_ack:
                detail["acknowledgement"] = "lost: the connection was cut after the last " \
                                            "statement was sent"
            if sampler_error:
                detail["locks_note"] = f"locks not sampled throughout: {sampler_error}"
        except SqlFailed as exc:   # the script broke by itself before the boundary
            detail.update(applied=exc.unit.number - 1, failed_at=exc.unit.number,
                          reason=exc.reason, runs=[r.as_dict() for r in exc.runs])
        invariants = getattr(self.ctx.scenario, "invariants", [])
        if invariants:
            detail["invariants"] = check_invariants(self.ctx.db_dsn, invariants)
        self.detail = detail

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        if "units" not in event or "applied" not in event:
            return None
        if "failed_at" in event:
            return (f"{event.get('script')}: unit {event['failed_at']} failed by itself "
                    f"({event.get('reason', '')[:120]}); {event['applied']} applied")
        return (f"{event.get('script')}: {event['applied']} of {event.get('of_units', '?')} "
                "units applied, the rest never run")

    # revert: nothing. What a half-applied migration leaves is the recovery's to mend.
