"""The ``limit`` fault: a service's container gets less CPU or memory, live, and its
own limits back on revert."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from chaos.faults.base import Fault
from chaos.faults.container import TargetParams
from chaos.partregistry import faults


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
        c = self.need_lab().container(self.params.target)
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
        c = self.need_lab().container(self.params.target)
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
