"""What the live page shows: the run as it goes, the people on it, and the door back in.

    board = Board(run_id, scenario, out / "timeline.jsonl")
    board.attach(1, trial)        # the trial now running; its Controls take the marks
    board.tick(trial)             # every loop tick: phase, faults, elapsed time
    board.snapshot(Role.OBSERVER) # what an observer receives now (``rolecut.view``)
    board.subscribe(callback)     # called, from any thread, whenever the state changed
    board.detach()

Events and per-second samples are read back from ``timeline.jsonl`` as it grows
(the record is the single source: what the page shows is what the report will
show). A snapshot is the whole state, so a participant who reconnects loses
nothing; each is cut per role in one place, ``chaos.live.rolecut``, and made once
per change and role however many people watch.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaos.errors import Refused, UsageError
from chaos.live.access import Action, Role
from chaos.live.controls import MARKS, Controls
from chaos.live.pager import Forwarder, is_page
from chaos.live.rolecut import view

if TYPE_CHECKING:
    from chaos.scenario import Scenario

NAME_MAX = 40


class TimelineTail:
    """``timeline.jsonl`` read incrementally: whole lines only, grouped by trial."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._lock = threading.Lock()
        self.events: dict[int, list[dict[str, Any]]] = {}
        self.samples: dict[int, list[dict[str, Any]]] = {}

    def read(self) -> bool:
        """Read what was appended; True if anything was."""
        with self._lock:
            try:
                with open(self.path, "rb") as f:
                    f.seek(self._offset)
                    chunk = f.read()
            except FileNotFoundError:
                return False
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
            return end > 0


def person(name: Any) -> str:
    """A participant's name as given, trimmed: printable, at most NAME_MAX characters.
    It is shown as text everywhere (never as markup), so only control characters go."""
    text = "".join(c for c in str(name or "") if c.isprintable()).strip()[:NAME_MAX]
    if not text:
        raise UsageError("say who you are: a name is needed")
    return text


class Board:
    def __init__(self, run_id: str, scenario: Scenario, timeline_path: Path,
                 blind: bool = False, forwarder: Forwarder | None = None) -> None:
        self.run_id = run_id
        self.scenario = scenario
        self.blind = blind
        self.tail = TimelineTail(timeline_path)
        self.trial_n: int | None = None
        self.controls: Controls | None = None
        self.status: dict[str, Any] = {"phase": "starting the lab"}
        self.started = time.time()
        self.participants: dict[tuple[str, str], dict[str, Any]] = {}
        self.version = 0
        self._lock = threading.Lock()
        self._join_lock = threading.Lock()
        self._cache: dict[tuple[int, Role], dict[str, Any]] = {}
        self._subscribers: list[Callable[[], None]] = []
        self._last_tick: tuple[Any, ...] = ()
        self.forwarder = forwarder          # pages to a team channel: opt-in only
        self._paged: dict[int, int] = {}    # trial -> events already looked at for pages
        self._record: Any = None            # the attached trial's timeline.add

    @property
    def gameday(self) -> bool:
        return bool(self.scenario.recovery.trigger == "manual")

    # ---- changes, and who hears of them -------------------------------------------

    def subscribe(self, callback: Callable[[], None]) -> None:
        self._subscribers.append(callback)

    def changed(self) -> None:
        with self._lock:
            self.version += 1
            self._cache.clear()
        for callback in list(self._subscribers):
            callback()

    # ---- the trial ------------------------------------------------------------------

    def attach(self, n: int, trial: Any) -> None:
        self.trial_n = n
        controls = Controls(trial)
        self._record = trial.ctx.timeline.add
        with self._join_lock:   # who was already here is on this trial's timeline too
            for p in self.participants.values():
                controls.joined(p["name"], p["role"])
            self.controls = controls
        self.tick(trial)
        self.changed()

    def detach(self, phase_after: str = "between trials") -> None:
        self.controls = None
        self.status = {**self.status, "phase": phase_after}
        self.tail.read()
        self.forward_pages()
        self.changed()

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
        # Pushed when something a person would notice moved: a new event or sample, the
        # phase, a fault's state, an indicator; the clocks alone at most once a second.
        key = (self.status["phase"], json.dumps(faults), s.confirmed, int(s.now),
               json.dumps(self.status["indicators"], default=str))
        grew = self.tail.read()
        if grew:
            self.forward_pages()
        if grew or key != self._last_tick:
            self._last_tick = key
            self.changed()

    def forward_pages(self) -> None:
        """Offer the pages that reached this trial's timeline since last time to the team's
        channel (``gameday.pager.forward``); the live page draws them from the events."""
        n, forwarder, record = self.trial_n, self.forwarder, self._record
        if forwarder is None or n is None or record is None:
            return
        events = self.tail.events.get(n, [])
        start = self._paged.get(n, 0)
        self._paged[n] = len(events)
        for event in events[start:]:
            if is_page(event):
                forwarder.offer(event, record)

    # ---- what people receive --------------------------------------------------------

    def pager_sound(self) -> bool:
        gameday = getattr(self.scenario, "gameday", None)
        return bool(gameday.pager.sound) if gameday is not None else True

    def revealed(self) -> bool:
        n = self.trial_n
        events = self.tail.events.get(n, []) if n is not None else []
        return any(e.get("kind") == "revealed" for e in events)

    def blind_now(self) -> bool:
        """Responders and observers see nothing of the fault: a blind game day, from the
        start of the run until the facilitator reveals the fault or the trial ends."""
        if not self.blind:
            return False
        controls = self.controls
        if controls is None:   # before the first trial nothing is told; after one, its end was
            return self.trial_n is None
        return controls.open and not self.revealed()

    def full(self, read: bool = True) -> dict[str, Any]:
        if read:
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
            "pager": {"sound": self.pager_sound(),
                      "forwarded": self.forwarder is not None},
            "steps": controls.steps_view() if controls is not None and self.gameday else [],
            "choices": controls.choices() if controls is not None else [],
            "events": list(self.tail.events.get(n, [])) if n is not None else [],
            "samples": list(self.tail.samples.get(n, [])) if n is not None else [],
            "participants": sorted(self.participants.values(),
                                   key=lambda p: (p["role"], p["name"])),
            "version": self.version,
            "server_wall": time.time(),
        }

    def snapshot(self, role: Role) -> dict[str, Any]:
        """The whole state as ``role`` may see it; made once per change and role."""
        with self._lock:
            key = (self.version, role)
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        self.tail.read()   # once: the cut and the events it cuts are of the same instant
        blind = self.blind_now()
        snap = view(self.full(read=False), role, blind)
        snap["epoch"] = f"{self.trial_n}:{int(blind)}:{int(snap['open'])}"
        with self._lock:
            if key[0] == self.version:
                self._cache[key] = snap
        return snap

    # ---- what people do ---------------------------------------------------------------

    def _controls(self) -> Controls:
        if self.controls is None:
            raise Refused("no trial is running right now")
        return self.controls

    def join(self, name: Any, role: Role) -> dict[str, Any]:
        who = person(name)
        key = (who, str(role))
        with self._join_lock:   # two first marks of one person at once: joined once
            fresh = key not in self.participants
            if fresh:
                self.participants[key] = {"name": who, "role": str(role),
                                          "joined": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
                if self.controls is not None and self.controls.open:
                    self.controls.joined(who, str(role))
        if fresh:
            self.changed()
        return {"name": who, "role": str(role), "joined": fresh}

    def act(self, action: Action, body: dict[str, Any], role: Role) -> dict[str, Any]:
        """One participant's action, already allowed for their role."""
        who = person(body.get("by"))
        self.join(who, role)
        controls = self._controls()
        if action in (Action.MARK, Action.END):
            kind = "end" if action is Action.END else str(body.get("mark", ""))
            result = controls.mark(kind, body.get("note"), who, str(role))
        elif action is Action.STEP:
            index = body.get("index")
            if not isinstance(index, int) or isinstance(index, bool):
                raise UsageError("'index' must be a step number")
            result = controls.run_step(index, who)
        elif action is Action.REVEAL:
            result = controls.reveal(who)
        elif action is Action.INJECT:
            index = body.get("index")
            if not isinstance(index, int) or isinstance(index, bool):
                raise UsageError("'index' must be a fault number")
            result = controls.inject(index, who)
        else:
            raise UsageError(f"nothing to do for {action}")
        self.changed()
        return result
