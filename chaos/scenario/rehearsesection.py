"""The ``rehearse:`` section: what ``chaos rehearse`` does with this scenario by default.

    rehearse:
      script: migrations/0042_reprice.sql   # the migration under test (the CLI's SCRIPT wins)
      recovery: rerun                       # or `steps` (this scenario's recovery steps),
                                            # or a SQL file to run instead (a fixed script)
      hold: 10s                             # how long the database stays at each boundary
      at: 10s                               # when, in each trial, the script runs
      settle: 60s                           # for the app to serve again after the recovery
      max_error_ratio: 1%                   # a boundary above this fails

Every field is optional; command-line options win over the section. ``chaos run``
ignores it.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import ValidationInfo, field_validator

from chaos.scenario.base import Strict
from chaos.scenario.contextual import ScenarioFile, existing_file
from chaos.scenario.duration import Duration, NonNegDuration, Ratio


class RehearseSection(Strict):
    unknown_what: ClassVar[str] = "rehearse setting"

    script: ScenarioFile | None = None
    recovery: str = "rerun"
    """``rerun``, ``steps`` or a SQL file (relative to the scenario file)."""
    hold: Duration | None = None
    at: NonNegDuration | None = None
    settle: Duration | None = None
    max_error_ratio: Ratio | None = None

    @field_validator("recovery")
    @classmethod
    def _known_recovery(cls, value: str, info: ValidationInfo) -> str:
        if value in ("rerun", "steps"):
            return value
        if not value.endswith(".sql"):
            raise ValueError(f"expected rerun, steps or a .sql file, not {value!r}")
        return str(existing_file(Path(value), info))   # a fixed script: it must be there

    def recovery_file(self) -> Path | None:
        """The fixed script's resolved path, or None for ``rerun`` and ``steps``."""
        return None if self.recovery in ("rerun", "steps") else Path(self.recovery)
