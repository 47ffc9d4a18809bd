"""What the live page shows: the run as it goes, and the door back into the trial.

    board = Board(run_id, scenario, out / "timeline.jsonl")
    board.attach(1, trial)        # the trial now running; its Controls take the marks
    board.tick(trial)             # every loop tick: phase, faults, elapsed time
    board.state()                 # the JSON the page polls
    board.detach()

Events and per-second samples are read back from ``timeline.jsonl`` as it
grows (the record is the single source: what the page shows is what the
report will show). The page asks for everything every time, so a reload
mid-run loses nothing.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from chaos.errors import Refused
from chaos.live.controls import MARKS, Controls


class TimelineTail:
    """``timeline.jsonl`` read incrementally: whole lines only, grouped by trial."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._lock = threading.Lock()
        self.events: dict[int, list[dict[str, Any]]] = {}
        self.samples: dict[int, list[dict[str, Any]]] = {}

    def read(self) -> None:
        with self._lock:
            try:
                with open(self.path, "rb") as f:
                    f.seek(self._offset)
                    chunk = f.read()
            except FileNotFoundError:
                return
            end = chunk.rfind(b"\n") + 1   # a line being written stays for next time
            self._offset += end
            for line in chunk[:end].splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(rec, dict) or not isinstance(rec.get("trial"), int):
                    continue
                into = self.samples if rec.get("kind") == "sample" else self.events
                into.setdefault(rec["trial"], []).append(rec)


class Board:
    def __init__(self, run_id: str, scenario: Any, timeline_path: Path) -> None:
        self.run_id = run_id
        self.scenario = scenario
        self.tail = TimelineTail(timeline_path)
        self.trial_n: int | None = None
        self.controls: Controls | None = None
        self.status: dict[str, Any] = {"phase": "starting the lab"}
        self.started = time.time()

    @property
    def gameday(self) -> bool:
        return bool(self.scenario.recovery.trigger == "manual")

    def attach(self, n: int, trial: Any) -> None:
        self.trial_n = n
        self.controls = Controls(trial)
        self.tick(trial)

    def detach(self, phase_after: str = "between trials") -> None:
        self.controls = None
        self.status = {**self.status, "phase": phase_after}

    def tick(self, trial: Any) -> None:
        s = trial.status()
        faults = [{"type": f.type, "at_s": f.at_s, "duration_s": f.duration_s,
                   "state": str(f.state)} for f in s.faults]
        self.status = {"phase": str(s.phase), "elapsed_s": round(s.now, 1),
                       "remaining_s": round(max(0.0, s.time_limit - s.now), 1),
                       "t_fault": s.t_fault, "faults": faults, "confirmed": s.confirmed,
                       "indicators": [{"name": i.name, "objective": i.objective,
                                       "value": i.value, "inside": i.inside}
                                      for i in s.indicators]}

    def state(self) -> dict[str, Any]:
        self.tail.read()
        n = self.trial_n
        controls = self.controls
        sc = self.scenario
        return {
            "run_id": self.run_id,
            "scenario": {"name": sc.name, "description": " ".join((sc.description or "").split()),
                         "time_limit_s": sc.time_limit, "trigger": sc.recovery.trigger,
                         "steady_below": sc.steady_state.error_rate.below},
            "gameday": self.gameday,
            "trial": n,
            "open": controls is not None and controls.open,
            "status": self.status,
            "marks": list(MARKS),
            "steps": controls.steps_view() if controls is not None and self.gameday else [],
            "events": self.tail.events.get(n, []) if n is not None else [],
            "samples": self.tail.samples.get(n, []) if n is not None else [],
            "server_wall": time.time(),
        }

    def _controls(self) -> Controls:
        if self.controls is None:
            raise Refused("no trial is running right now")
        return self.controls

    def mark(self, kind: str, note: str | None = None, by: str | None = None) -> dict[str, Any]:
        return self._controls().mark(kind, note, by)

    def run_step(self, index: int) -> dict[str, Any]:
        return self._controls().run_step(index)
