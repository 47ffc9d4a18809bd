"""What every detector does: consume observations, and say when it fired.

Request-based rules (error rate, latency) see every answered request through
``observe``; probes (HTTP, SQL) run on their own thread and feed themselves.
``check(now)`` returns the instant the detector fired, once, or None.

Rules follow Prometheus alerting semantics: the condition turns *pending* when
it first holds and the rule *fires* once it has held continuously for ``for``.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from chaos.errors import DetectError
from chaos.lab.lab import Lab
from chaos.partcontext import PartContext
from chaos.parts import PartBase


class Detector(PartBase):
    """The base of every detector (``chaos.parts.DetectorPart``)."""

    probe: ClassVar[bool] = False

    def __init__(self, name: str, params: Any, ctx: PartContext) -> None:
        self.name = name
        self.params = params
        self.ctx = ctx
        self.fired_at: float | None = None
        self.error: str | None = None

    def observe(self, end: float, ok: bool, latency_s: float) -> None:
        """One answered request (times on the trial clock)."""

    def check(self, now: float) -> float | None:
        return self.fired_at

    def reset(self, t: float) -> None:
        """At the fault (``t``): start afresh. A firing before it (a false alarm) is
        already on the timeline; forgetting it, and the state that led to it, means
        the detector must go through pending → firing again on what happens from
        ``t`` on: a pre-fault alarm can never pass for a detection at the fault."""
        self.fired_at = None

    def need_lab(self) -> Lab:
        """The trial's lab; a detector that reads it, run without one, fails saying so."""
        if self.ctx.lab is None:
            raise DetectError(f"{self.type_name}: this trial has no lab to read")
        return self.ctx.lab

    def start(self) -> None:
        """Begin probing (probes only)."""

    def stop(self) -> None:
        """Stop probing (probes only)."""


class Pending:
    """The pending → firing state machine of an alert rule."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.since: float | None = None

    def update(self, t: float, condition: bool) -> float | None:
        """Feed the condition's value at ``t``; returns the firing instant when it fires."""
        if not condition:
            self.since = None
            return None
        if self.since is None:
            self.since = t
        return t if t - self.since >= self.hold_s else None


class ProbeThread(Detector):
    """A probe that runs ``probe_once`` every ``params.every`` seconds on a thread."""

    probe: ClassVar[bool] = True

    def __init__(self, name: str, params: Any, ctx: PartContext) -> None:
        super().__init__(name, params, ctx)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"probe-{name}", daemon=True)
        self.consecutive = 0
        self.probes = 0

    def probe_once(self) -> bool:
        raise NotImplementedError

    def reset(self, t: float) -> None:
        self.consecutive = 0
        super().reset(t)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            t = self.ctx.clock.now()
            try:
                ok = self.probe_once()
            except Exception as exc:  # the probe itself broke: loud, on the record
                self.error = f"{type(exc).__name__}: {exc}"
                ok = False
            self.probes += 1
            self.consecutive = 0 if ok else self.consecutive + 1
            if self.fired_at is None and self.consecutive >= self.params.failures:
                # the failing answer arrived now; the probe started at t
                self.fired_at = self.ctx.clock.now()
            self._stop.wait(max(0.0, self.params.every - (self.ctx.clock.now() - t)))
