"""The trial clock and the timeline of events.

Every time in a run is seconds on one monotonic clock, counted from the run's
origin; each event also carries the wall-clock instant (ISO 8601 with time
zone) for people. Observations arrive with wall-clock times from Locust on the
same host; ``Clock.from_wall`` maps them onto the same axis.

Events are appended to ``timeline.jsonl`` as they happen and flushed at once,
so a crash or a SIGKILL still leaves everything recorded up to that instant.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaos.measure.eventkinds import Kind
from chaos.redact import redact_data
from chaos.userfiles import read_bytes

MAX_TIMELINE_BYTES = 256_000_000   # hours of samples and events take a few MB


@dataclass
class Clock:
    mono0: float = field(default_factory=time.monotonic)
    wall0: float = field(default_factory=time.time)

    def now(self) -> float:
        return time.monotonic() - self.mono0

    def from_wall(self, wall: float) -> float:
        return wall - self.wall0

    def wall_iso(self, t: float) -> str:
        return datetime.fromtimestamp(self.wall0 + t, UTC).astimezone().isoformat(
            timespec="milliseconds")


class Timeline:
    """Ordered events, kept in memory and streamed to a JSON-lines file."""

    def __init__(self, clock: Clock, path: Path | None, **defaults: Any) -> None:
        self.clock = clock
        self.defaults = defaults      # fields every line carries, e.g. the trial number
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        # Open for the timeline's life; close() closes it.
        self._file = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115
        self.listeners: list[Any] = []

    def add(self, kind: Kind, t: float | None = None, **detail: Any) -> dict[str, Any]:
        t = self.clock.now() if t is None else t
        event = {"t": round(t, 4), "wall": self.clock.wall_iso(t), "kind": kind,
                 **self.defaults, **detail}
        with self._lock:
            self.events.append(event)
            if self._file:
                self._file.write(json.dumps(redact_data(event), default=str) + "\n")
                self._file.flush()
        for listener in self.listeners:
            listener(event)
        return event

    def sample(self, **values: Any) -> None:
        """A periodic measurement (request rate, error ratio...): file only, not an event."""
        if self._file:
            with self._lock:
                line = json.dumps(redact_data({"kind": Kind.SAMPLE, **self.defaults, **values}))
                self._file.write(line + "\n")
                self._file.flush()

    def first(self, kind: str, **match: Any) -> dict[str, Any] | None:
        return first_event(self.events, kind, **match)

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None


def first_event(events: list[dict[str, Any]], kind: str, after: float | None = None,
                **match: Any) -> dict[str, Any] | None:
    for e in sorted(events, key=lambda e: e["t"]):
        if e["kind"] != kind or (after is not None and e["t"] < after):
            continue
        if all(e.get(k) == v for k, v in match.items()):
            return e
    return None


def fault_instant(events: list[dict[str, Any]]) -> float | None:
    """The first fault's injection on the trial's clock, from the events: the trial's
    origin where nothing recorded it (a record's ``fault_t``, the trial's state)."""
    fault = first_event(events, Kind.FAULT_INJECTED)
    t: float | None = None if fault is None else fault["t"]   # as written: 12 stays 12
    return t


def read_timeline(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(events, samples) from a timeline.jsonl; a torn last line is ignored."""
    events: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    # A regular file of bounded size (BadFile if not): a FIFO would block, /dev/zero never end.
    for line in read_bytes(path, MAX_TIMELINE_BYTES, "timeline").decode("utf-8").splitlines():
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError):  # torn, or nested absurdly deep
            continue
        if not isinstance(rec, dict):
            continue  # a damaged line may still parse, e.g. as a bare number
        (samples if rec.get("kind") == "sample" else events).append(rec)
    return events, samples
