"""The ``gameday:`` section: people in the loop, and what they may not know.

    gameday:
      blind: true               # responders and observers are not told what breaks
      window: [30s, 2m]         # the fault lands at a random instant in there
      choose: random            # one of the scenario's faults, from a recorded seed;
                                # or `facilitator`: injected from the facilitator's page
      expect: {human_ttd: 10m, human_ttr: 30m}   # targets, like `targets:`

A scenario with this section is run as a game day (``--gameday``): recovery is manual.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from chaos.scenario.base import Strict
from chaos.scenario.duration import Duration, NonNegDuration, format_duration


class GamedayExpect(Strict):
    """What the team expects of itself; each becomes a target (``human_ttd``, ...)."""

    unknown_what: ClassVar[str] = "game-day expectation"

    human_ttd: Duration | None = None
    human_tta: Duration | None = None
    human_ttr: Duration | None = None


class GamedaySection(Strict):
    blind: bool = False
    window: list[NonNegDuration] | None = Field(None, min_length=2, max_length=2)
    choose: Literal["random", "facilitator"] = "random"
    expect: GamedayExpect = GamedayExpect()

    @model_validator(mode="after")
    def _window_in_order(self) -> GamedaySection:
        if self.window is not None and self.window[0] > self.window[1]:
            raise ValueError(f"window [{format_duration(self.window[0])}, "
                             f"{format_duration(self.window[1])}]: the start comes after the end")
        return self
