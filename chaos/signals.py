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
import threading
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


class Shield:
    """What a shielded block deferred: the signals that arrived while it ran."""

    def __init__(self) -> None:
        self.caught: list[int] = []

    @property
    def name(self) -> str:
        return signal.Signals(self.caught[0]).name if self.caught else ""


@contextlib.contextmanager
def shielded() -> Iterator[Shield]:
    """Defer SIGINT/SIGTERM/SIGHUP while a teardown runs, so a second Ctrl-C cannot cut
    it short; once the block is done, the first deferred signal is raised as
    ``Interrupted`` (the run then ends aborted, exit 130). When the block itself raises,
    that exception goes on instead: the process is unwinding already."""
    shield = Shield()
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, lambda n, f: shield.caught.append(n)) for s in sigs}
    try:
        yield shield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if shield.caught:
        raise Interrupted(shield.caught[0])


def terminate_like_ctrl_c() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C from now on (``finally`` blocks and fixture
    teardowns run), where they would otherwise kill the process on the spot. Only where
    nobody else chose a handler, and only from the main thread (Python's rule)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for s in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(s) == signal.SIG_DFL:
            signal.signal(s, _raise)
