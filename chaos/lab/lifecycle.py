"""When a container really went down and came back, as the engine recorded it.

A fault that stops a container knows when it *asked*; only the engine knows when
the process exited (``State.FinishedAt``) and when it ran again (the ``start``
event's ``timeNano``). A ``docker stop`` of a process that ignores SIGTERM returns
after the grace period, and nothing in the call says so; these instants do.

    asked = time.time()
    container.stop(timeout=10)
    down = exited_since(container, asked, within_s=5)     # Unix seconds, or None
    ...
    up = first_start(container.id, after=down)            # Unix seconds, or None

The instants are the engine host's wall clock: the same clock as ours, since
chaos talks to the local engine only (chaos/lab/engine.py); a fault maps them
onto the trial's clock and checks they fall where they must (chaos/faults/container.py).
"""

from __future__ import annotations

import re
import time
from calendar import timegm
from typing import Any

from chaos.lab.engine import client

# 2026-12-06T04:28:43.763790041Z; Docker writes UTC, nanoseconds, and the zero
# time 0001-01-01T00:00:00Z for "never".
_INSTANT = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z")
POLL_S = 0.05


def parse_instant(text: Any) -> float | None:
    """Docker's RFC 3339 UTC instant as Unix seconds; None for the zero time or junk."""
    m = _INSTANT.fullmatch(text) if isinstance(text, str) else None
    if m is None or m.group(1) == "0001":
        return None
    whole = timegm(tuple(int(g) for g in m.groups()[:6]))
    return whole + int((m.group(7) or "0").ljust(9, "0")) / 1e9


def exited_since(container: Any, since: float, within_s: float) -> float | None:
    """The instant (Unix seconds) the container's process exited at or after ``since``,
    looking for up to ``within_s``; None when it did not exit in that time.

    Read from ``State.FinishedAt``, not from the status: a restart policy may have
    started the container again before we look, and the exit still happened.
    """
    deadline = time.monotonic() + within_s
    while True:
        container.reload()
        finished = parse_instant(container.attrs.get("State", {}).get("FinishedAt"))
        if finished is not None and finished >= since:
            return finished
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_S)


def first_start(container_id: str, after: float) -> float | None:
    """The first time (Unix seconds) the container was started after ``after``, from the
    engine's events (a restart policy may have started it more than once since)."""
    # The engine takes fractional seconds ("1796531323.75"), which the SDK's types do not
    # show; whole seconds would lose the last second's events or wait for the next one.
    engine: Any = client()
    events = engine.events(since=f"{after:.9f}", until=f"{time.time():.9f}", decode=True,
                           filters={"container": container_id, "event": "start"})
    starts = [e["timeNano"] / 1e9 for e in events
              if isinstance(e.get("timeNano"), int) and e["timeNano"] / 1e9 > after]
    return min(starts, default=None)
