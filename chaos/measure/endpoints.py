"""Requests by name (Locust's request ``name``): which endpoints failed, from when to when.

    by_name = Endpoints()
    by_name.add(obs.name, end_t, obs.ok, obs.status, t_fault)
    by_name.as_list()   # [{"name": "POST /items", "total": 812, "failed": 240, ...}, ...]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_NAMES = 200   # a locustfile naming each URL apart (ids in names) must not flood the record


@dataclass
class Endpoint:
    total: int = 0
    failed: int = 0
    failed_after_fault: int = 0
    first_failure_t: float | None = None   # answer times (trial clock) of failures after the fault
    last_failure_t: float | None = None
    statuses: Counter[str] = field(default_factory=Counter)   # of failed requests

    def as_dict(self, name: str) -> dict[str, Any]:
        return {"name": name, "total": self.total, "failed": self.failed,
                "failed_after_fault": self.failed_after_fault,
                "first_failure_t": self.first_failure_t, "last_failure_t": self.last_failure_t,
                "failed_statuses": dict(self.statuses.most_common(5))}


class Endpoints:
    OTHER = "(other names)"

    def __init__(self) -> None:
        self.by_name: dict[str, Endpoint] = {}

    def add(self, name: str, end_t: float, ok: bool, status: int, t_fault: float | None) -> None:
        if name not in self.by_name and len(self.by_name) >= MAX_NAMES:
            name = self.OTHER
        e = self.by_name.setdefault(name, Endpoint())
        e.total += 1
        if ok:
            return
        e.failed += 1
        e.statuses[str(status) if status else "no answer"] += 1
        if t_fault is not None and end_t >= t_fault:
            e.failed_after_fault += 1
            e.first_failure_t = (end_t if e.first_failure_t is None
                                 else min(e.first_failure_t, end_t))
            e.last_failure_t = end_t if e.last_failure_t is None else max(e.last_failure_t, end_t)

    def as_list(self, t_fault: float | None) -> list[dict[str, Any]]:
        """Per name, busiest first; failure times relative to the fault (like every metric)."""
        out = []
        for name, e in sorted(self.by_name.items(), key=lambda kv: -kv[1].total):
            d = e.as_dict(name)
            for key in ("first_failure_t", "last_failure_t"):
                value = d.pop(key)
                d[key.replace("_t", "_s")] = (None if value is None or t_fault is None
                                              else round(value - t_fault, 3))
            out.append(d)
        return out
