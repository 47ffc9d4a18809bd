"""The ``gameday:`` section: people in the loop, and what they may not know.

    gameday:
      blind: true               # responders and observers are not told what breaks
      window: [30s, 2m]         # the fault lands at a random instant in there
      choose: random            # one of the scenario's faults, from a recorded seed;
                                # or `facilitator`: injected from the facilitator's page
      expect: {human_ttd: 10m, human_ttr: 30m}   # targets, like `targets:`
      pager:                    # alert notifications on every responder's screen
        sound: true             # with a beep (the browser may wait for a first click)
        forward: ${TEAM_WEBHOOK}   # opt-in: also post them to a Slack-compatible webhook

A scenario with this section is run as a game day (``--gameday``): recovery is manual.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from chaos.scenario.base import Strict
from chaos.scenario.duration import Duration, NonNegDuration, format_duration


class GamedayExpect(Strict):
    """What the team expects of itself; each becomes a target (``human_ttd``, ...)."""

    unknown_what: ClassVar[str] = "game-day expectation"

    human_ttd: Duration | None = None
    human_tta: Duration | None = None
    human_ttr: Duration | None = None


class GamedayPager(Strict):
    """How notifications reach people: on the page always; in a team channel if asked."""

    unknown_what: ClassVar[str] = "pager setting"

    sound: bool = True
    forward: str | None = None   # a Slack-compatible incoming webhook URL; never the default

    @model_validator(mode="after")
    def _a_web_address(self) -> GamedayPager:
        if self.forward is not None:
            url = urlsplit(self.forward)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ValueError("pager.forward: expected an http:// or https:// webhook URL "
                                 "(a Slack-compatible incoming webhook)")
        return self


class GamedaySection(Strict):
    blind: bool = False
    window: list[NonNegDuration] | None = Field(None, min_length=2, max_length=2)
    choose: Literal["random", "facilitator"] = "random"
    expect: GamedayExpect = GamedayExpect()
    pager: GamedayPager = GamedayPager()

    @model_validator(mode="after")
    def _window_in_order(self) -> GamedaySection:
        if self.window is not None and self.window[0] > self.window[1]:
            raise ValueError(f"window [{format_duration(self.window[0])}, "
                             f"{format_duration(self.window[1])}]: the start comes after the end")
        return self
