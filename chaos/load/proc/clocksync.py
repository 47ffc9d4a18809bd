"""A load host's clock offset from the orchestrator's, measured as NTP does.

The master (on the orchestrator's host, so on its clock) stamps a ping ``t1``; the
worker stamps its receipt ``t2`` and its answer ``t3`` on its own clock; the master
stamps the answer's arrival ``t4``. With symmetric paths the worker's clock is ahead by

    offset = ((t2 - t1) + (t3 - t4)) / 2        round-trip delay = (t4 - t1) - (t3 - t2)

and, whatever the asymmetry, the true offset lies within ``offset ± delay / 2``. Of
several round trips the one with the smallest delay is the most trustworthy (RFC 5905's
clock filter keeps the minimum-delay sample of its last eight): its half-delay is the
uncertainty we record. A worker's time ``t`` maps onto the orchestrator's as ``t - offset``.

Standard library only: it runs inside Locust processes, local or remote, and in tests.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

#: How many recent round trips the estimate keeps (RFC 5905 keeps eight).
KEEP = 8


@dataclass(frozen=True)
class Sample:
    offset: float   # s; the worker's clock minus the master's
    delay: float    # s; the round trip less the worker's own time

    @classmethod
    def of(cls, t1: float, t2: float, t3: float, t4: float) -> Sample:
        return cls(offset=((t2 - t1) + (t3 - t4)) / 2,
                   delay=max(0.0, (t4 - t1) - (t3 - t2)))

    @property
    def uncertainty(self) -> float:
        return self.delay / 2


class ClockEstimate:
    """The recent round trips of one worker, and the offset they support best."""

    def __init__(self, keep: int = KEEP) -> None:
        self.samples: deque[Sample] = deque(maxlen=keep)
        self.count = 0

    def add(self, t1: float, t2: float, t3: float, t4: float) -> Sample:
        sample = Sample.of(t1, t2, t3, t4)
        self.samples.append(sample)
        self.count += 1
        return sample

    def best(self) -> Sample | None:
        """The minimum-delay sample of those kept (None before the first round trip)."""
        return min(self.samples, key=lambda s: s.delay) if self.samples else None

    def to_master(self, t: float) -> float:
        """A worker's instant on the master's clock; unchanged before any round trip."""
        best = self.best()
        return t - best.offset if best is not None else t
