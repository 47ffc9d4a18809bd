"""One request as the load driver reported it (a line of ``observations.jsonl``).

The listener (``chaos/load/proc/listener.py``) and, in distributed mode, the Locust
master (``chaos/load/proc/obschannel.py``) write one JSON line per request,
``{t, ms, ok, st, n, ref, err, w, lost}``, and event lines about the load hosts,
``{ev, w, at, ...}``; measurement reads them back here, without importing the load driver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The one file of a trial's observations, in its ``observations/`` directory.
OBS_FILE = "observations.jsonl"


@dataclass(frozen=True)
class Observation:
    """One request as the user saw it. ``end`` is when the answer arrived (wall clock of
    the orchestrator: a remote load host's offset is already taken out).

    ``ref`` is set for writes (the locustfile's ``context["write_ref"]``); a write
    is acknowledged when it succeeded by Locust's rules. ``orphan``: the load host that
    sent it was lost before the answer, so nobody saw one: not a failure the app gave,
    and a write whose outcome is unknown.
    """

    start: float
    end: float
    ok: bool
    status: int
    name: str = ""
    ref: str | None = None
    host: str = ""
    orphan: bool = False

    @property
    def write(self) -> bool:
        return self.ref is not None

    @property
    def unknown_write(self) -> bool:
        # No HTTP answer at all: the database may or may not have committed it.
        return self.write and not self.ok and self.status == 0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Observation:
        return cls(start=d["t"], end=d["t"] + d["ms"] / 1000.0, ok=d["ok"], status=d["st"],
                   name=d.get("n", ""), ref=d.get("ref"), host=d.get("w", ""),
                   orphan=bool(d.get("lost")))

    @classmethod
    def from_line(cls, line: str) -> Observation:
        return cls.from_dict(json.loads(line))


def parse_line(line: str) -> Observation | dict[str, Any]:
    """A request, or an event about a load host (a dict with ``ev``)."""
    d = json.loads(line)
    return d if "ev" in d else Observation.from_dict(d)


def read_observations(path: Path) -> list[Observation]:
    """Every request of a finished trial's file, in answer-time order (events left out)."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = parse_line(line) if line.strip() else None
        except (ValueError, KeyError, TypeError):
            continue   # a line cut by a killed process: not a request
        if isinstance(item, Observation):
            out.append(item)
    out.sort(key=lambda o: o.end)
    return out
