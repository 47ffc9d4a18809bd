"""Turn SIGINT, SIGTERM and SIGHUP into one clean unwinding.

Teardown lives in ``finally`` blocks; those only run if a signal becomes an
exception in the main thread. Python does that for SIGINT alone, and not even
for SIGINT when the process started with it ignored — which is what a shell
does to every background job (`cmd &`), CI runners included. So SIGINT gets
our handler too.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


class Interrupted(KeyboardInterrupt):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    previous = {s: signal.signal(s, _raise)
                for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Defer SIGINT/SIGTERM while a teardown runs, so a second Ctrl-C cannot cut it short."""
    caught: list[int] = []
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, lambda n, f: caught.append(n)) for s in sigs}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
