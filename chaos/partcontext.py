"""What a part is given about the trial it runs in: ``PartContext``.

    fault = build("fault", spec, ctx)    # ctx: a chaos.trial.context.TrialContext

A Protocol over the engine's own types, so a part's use of its context is checked
(mypy): the scenario as validated, the lab (None for a trial without one, in tests),
the trial's clock and timeline, the backups taken during the trial (None when the
scenario takes none), the app's address and a working directory. ``db_dsn`` is
read-only: the trial looks the address up again after the database restarted.

It sits with the parts (above the lab, the measures and the schema, whose types it
names), not in ``chaos.parts``, which every layer may import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:   # names for the checker only: importing them here would run in circles
    from chaos.lab.lab import Lab
    from chaos.measure.timeline import Clock, Timeline
    from chaos.recover.backups import BackupStore
    from chaos.scenario.model import Scenario


class PartContext(Protocol):
    scenario: Scenario
    lab: Lab | None
    clock: Clock
    timeline: Timeline
    backups: BackupStore | None
    app_url: str
    workdir: Path

    @property
    def db_dsn(self) -> str: ...
