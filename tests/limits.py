"""Bounds for tests that feed chaos hostile input: a hang fails the case, not the suite."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


class Hang(BaseException):
    """Not an Exception: the CLI's last-resort handler must not turn a hang into exit 3."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``Hang`` in the main thread if the body still runs after ``seconds``."""
    def expired(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
