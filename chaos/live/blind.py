"""Which fault a blind game day injects, and when: chosen before the trial, recorded.

    sc, choice = blind_trial(scenario, seed=1234, n=1)
    # sc.faults == [that fault, at a random instant in gameday.window]
    # choice == {"seed": 1234, "index": 2, "fault": "pause", "at_s": 47.3, "choose": "random"}

``choose: random`` picks one of the scenario's faults and an instant in the window
from ``seed`` and the trial's number, so a run can be replayed. ``choose:
facilitator`` keeps every fault but schedules none: the facilitator injects one
from their page (``Trial.inject_now``). The choice goes on the timeline as a
``blind_choice`` event, which only the facilitator's view and the record carry.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaos.scenario import Scenario

#: Beyond any time limit: a fault the facilitator has not chosen never comes by itself.
NEVER = 10**9


def blind_trial(scenario: Scenario, seed: int, n: int) -> tuple[Any, dict[str, Any] | None]:
    gd = getattr(scenario, "gameday", None)
    if gd is None or not gd.blind:
        return scenario, None
    faults = list(scenario.faults)
    if gd.choose == "facilitator":
        waiting = [f.model_copy(update={"at": float(NEVER)}) for f in faults]
        return (scenario.model_copy(update={"faults": waiting}),
                {"seed": seed, "choose": "facilitator"})
    rng = random.Random(seed * 1009 + n)
    index = rng.randrange(len(faults))
    first = min(f.at for f in faults)
    low, high = gd.window if gd.window is not None else (first, max(f.at for f in faults))
    at = round(rng.uniform(low, high), 3)
    chosen = faults[index].model_copy(update={"at": at})
    return (scenario.model_copy(update={"faults": [chosen]}),
            {"seed": seed, "choose": "random", "index": index, "fault": chosen.type,
             "at_s": at})
