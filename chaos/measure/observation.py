"""One request as the load driver reported it (a line of ``obs-*.jsonl``).

The listener (``chaos/load/proc/listener.py``) writes ``{t, ms, ok, st, n, ref}``;
measurement reads it back here, without importing the load driver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    """One request as the user saw it. ``end`` is when the answer arrived (wall clock).

    ``ref`` is set for writes (the locustfile's ``context["write_ref"]``); a write
    is acknowledged when it succeeded by Locust's rules.
    """

    start: float
    end: float
    ok: bool
    status: int
    name: str = ""
    ref: str | None = None

    @property
    def write(self) -> bool:
        return self.ref is not None

    @property
    def unknown_write(self) -> bool:
        # No HTTP answer at all: the database may or may not have committed it.
        return self.write and not self.ok and self.status == 0

    @classmethod
    def from_line(cls, line: str) -> Observation:
        d = json.loads(line)
        return cls(start=d["t"], end=d["t"] + d["ms"] / 1000.0, ok=d["ok"], status=d["st"],
                   name=d.get("n", ""), ref=d.get("ref"))
