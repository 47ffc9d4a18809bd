"""Container faults: a service's container is killed, paused, stopped or restarted."""

from __future__ import annotations

import signal
from typing import Annotated, ClassVar

from pydantic import AfterValidator

from chaos.faults.base import Fault
from chaos.registry import faults
from chaos.scenario.base import Strict
from chaos.scenario.context import ServiceName


def _signal_name(value: str) -> str:
    name = value.strip().upper()
    name = name if name.startswith("SIG") else "SIG" + name
    if name not in signal.Signals.__members__:
        raise ValueError(f"unknown signal '{value}' (e.g. SIGKILL, SIGTERM)")
    return name


SignalName = Annotated[str, AfterValidator(_signal_name)]


class TargetParams(Strict):
    target: ServiceName
    """The compose service whose container the fault hits."""


class KillParams(TargetParams):
    signal: SignalName = "SIGKILL"


class PauseParams(TargetParams):
    requires_duration: ClassVar[bool] = True


@faults.register("kill")
class Kill(Fault):
    """Send a signal (SIGKILL by default) to a service's container."""

    Params = KillParams
    instant = True  # what happens next is up to the restart policy

    def inject(self) -> None:
        self.ctx.lab.container(self.params.target).kill(signal=self.params.signal)


@faults.register("pause")
class Pause(Fault):
    """Freeze a service's container (SIGSTOP semantics) for the fault's duration."""

    Params = PauseParams

    def inject(self) -> None:
        self.ctx.lab.container(self.params.target).pause()

    def revert(self) -> None:
        c = self.ctx.lab.container(self.params.target)
        c.reload()
        if c.status == "paused":
            c.unpause()


@faults.register("stop")
class Stop(Fault):
    """Stop a service's container; start it again after ``duration`` if one is given."""

    Params = TargetParams

    def inject(self) -> None:
        self.ctx.lab.container(self.params.target).stop(timeout=10)

    def revert(self) -> None:
        c = self.ctx.lab.container(self.params.target)
        c.reload()
        if c.status != "running":
            c.start()


@faults.register("restart")
class Restart(Fault):
    """Restart a service's container."""

    Params = TargetParams
    instant = True

    def inject(self) -> None:
        self.ctx.lab.container(self.params.target).restart(timeout=10)
