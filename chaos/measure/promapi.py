"""Reading Prometheus's and Alertmanager's HTTP APIs (and chaos's own alert receiver):
JSON answers, their RFC 3339 times, a range query.

    rules = get_json(prom + "/api/v1/rules?type=alert")
    wall_of("2026-11-30T01:32:47.856123456Z")         # seconds since the epoch
    query_range(prom, "rate(x[1m])", start, end, step)   # [{metric, values}, ...]

One short timeout for every read: a stack that does not answer within it is not
answering, and the caller says so (a detector goes blind, a probe tries again).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

READ_TIMEOUT_S = 1.0
MAX_ANSWER_BYTES = 20_000_000


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=READ_TIMEOUT_S) as resp:
        return json.loads(resp.read(MAX_ANSWER_BYTES))


def ready(url: str) -> None:
    """Raises unless ``url`` answers (Alertmanager's ``/-/ready``)."""
    with urllib.request.urlopen(url, timeout=READ_TIMEOUT_S):
        pass


def query_range(prom: str, query: str, start: float, end: float, step: float) -> Any:
    """Prometheus's ``query_range`` over wall-clock seconds: its ``data.result``."""
    args = urllib.parse.urlencode({"query": query, "start": start, "end": end, "step": step})
    return get_json(f"{prom}/api/v1/query_range?{args}")["data"]["result"]


def wall_of(stamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 time as Prometheus and Alertmanager write
    it (nanoseconds cut to microseconds)."""
    text = stamp.strip().replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = rest[:len(rest) - len(rest.lstrip("0123456789"))]
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(text).timestamp()
