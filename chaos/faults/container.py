"""Container faults: a service's container is killed, paused, stopped, restarted or limited.

Kill and stop without a ``duration`` are instant: what happens next is up to the
restart policy (the default lab's app has ``unless-stopped``, its db none) or the
recovery. With a ``duration`` the container is started again when it ends. Either
way a container we took down is started again at the end of the trial.
"""

from __future__ import annotations

import signal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from chaos.faults.base import Fault
from chaos.lab.freezer import pause, unpause
from chaos.registry import faults
from chaos.scenario.base import Strict
from chaos.scenario.contextual import ServiceName


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


class _TakesDown(Fault):
    """A fault that takes a container down: instant without a duration."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        # Without a duration the fault is over once the container is down: the
        # restart policy or the recovery decides what happens next.
        self.instant = spec.duration is None

    def start_if_down(self) -> None:
        c = self.ctx.lab.container(self.params.target)
        c.reload()
        if c.status == "paused":
            c.unpause()
        elif c.status != "running":
            c.start()
            self.detail["started_again"] = True

    def revert(self) -> None:
        if not self.instant:
            self.start_if_down()

    def cleanup(self) -> None:
        self.start_if_down()


@faults.register("kill")
class Kill(_TakesDown):
    """Send a signal (SIGKILL by default) to a service's container."""

    Params = KillParams

    def inject(self) -> None:
        self.ctx.lab.container(self.params.target).kill(signal=self.params.signal)


@faults.register("pause")
class Pause(Fault):
    """Freeze a service's container (SIGSTOP semantics) for the fault's duration."""

    Params = PauseParams

    container_id: str | None = None

    def inject(self) -> None:
        c = self.ctx.lab.container(self.params.target)
        self.container_id = c.id
        self.detail.update(pause(c))

    def revert(self) -> None:
        # No inspect first: on a hung engine it would hang too (chaos/lab/freezer.py).
        if self.container_id is not None:
            self.detail.update(unpause(self.container_id))


@faults.register("stop")
class Stop(_TakesDown):
    """Stop a service's container; start it again after ``duration`` if one is given."""

    Params = TargetParams

    def inject(self) -> None:
        self.ctx.lab.container(self.params.target).stop(timeout=10)


@faults.register("restart")
class RestartFault(Fault):
    """Restart a service's container."""

    Params = TargetParams
    instant = True

    def inject(self) -> None:
        self.ctx.lab.container(self.params.target).restart(timeout=10)


def _memory_bytes(value: str | int) -> int:
    text = str(value).strip().lower().removesuffix("b")
    scale = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}.get(text[-1:], 1)
    number = float(text[:-1] if text[-1:] in "kmg" else text)
    if number * scale < 6 << 20:
        raise ValueError(f"memory {value!r} is below Docker's minimum of 6m")
    return int(number * scale)


class LimitParams(TargetParams):
    cpus: float | None = Field(None, gt=0, le=256)
    """CPUs the container may use (0.2 = a fifth of one core)."""
    memory: Annotated[int, BeforeValidator(_memory_bytes)] | None = None
    """Memory limit, e.g. 64m; swap is capped to the same value."""

    @model_validator(mode="after")
    def _something(self) -> LimitParams:
        if self.cpus is None and self.memory is None:
            raise ValueError("a limit fault needs cpus, memory, or both")
        return self


@faults.register("limit")
class Limit(Fault):
    """Change a container's CPU and/or memory limits live; the originals come back on revert."""

    Params = LimitParams

    def inject(self) -> None:
        c = self.ctx.lab.container(self.params.target)
        host = c.attrs["HostConfig"]
        self.original = {k: host.get(k) or 0 for k in
                         ("CpuPeriod", "CpuQuota", "NanoCpus", "Memory", "MemorySwap")}
        change: dict[str, Any] = {}
        if self.params.cpus is not None:
            change.update(cpu_period=100_000, cpu_quota=int(self.params.cpus * 100_000))
        if self.params.memory is not None:
            change.update(mem_limit=self.params.memory, memswap_limit=self.params.memory)
        c.update(**change)
        self.detail = {k: v for k, v in change.items()}

    def revert(self) -> None:
        original = getattr(self, "original", None)
        if original is None:
            return
        c = self.ctx.lab.container(self.params.target)
        # -1 lifts a CPU quota. A memory limit cannot be lifted once set (Docker
        # reads 0 as "unchanged" and refuses -1), so "unlimited" comes back as the
        # engine's whole memory: the same in effect.
        c.update(cpu_period=original["CpuPeriod"] or 100_000, cpu_quota=original["CpuQuota"] or -1)
        if self.params.memory is not None:
            memory = original["Memory"] or unlimited_memory()
            # Docker's own default for swap is twice the memory; -1 here would leave the
            # kernel's memory+swap cap below the new memory limit, which it refuses.
            c.update(mem_limit=memory, memswap_limit=original["MemorySwap"] or 2 * memory)


def unlimited_memory() -> int:
    """The engine's whole memory, rounded down to a page (cgroup v1 wants whole pages)."""
    from chaos.lab.engine import client

    return int(client().info()["MemTotal"]) // 4096 * 4096
