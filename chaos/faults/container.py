"""Container faults: a service's container is killed, paused, stopped or restarted
(its CPU and memory limited: ``chaos.faults.limits``).

Kill and stop without a ``duration`` are instant: what happens next is up to the
restart policy (the default lab's app has ``unless-stopped``, its db none) or the
recovery. With a ``duration`` the container is started again when it ends. Either
way a container we took down is started again at the end of the trial.

When they took effect is the engine's record, not when the call returned
(chaos/faults/effect.py): kill and stop from the instant the process exited,
restart the same, with how long it was down; the end of a kill or stop is the
first start after that exit (by our revert, or earlier by a restart policy).
"""

from __future__ import annotations

import signal
import time
from typing import Annotated, Any

import requests
from docker.errors import DockerException
from pydantic import AfterValidator

from chaos.faults.base import Fault
from chaos.lab.freezer import pause, unpause
from chaos.lab.lifecycle import exited_since, first_start, parse_instant
from chaos.partcontext import PartContext
from chaos.partregistry import faults
from chaos.scenario.base import Strict
from chaos.scenario.contextual import ServiceName
from chaos.scenario.duration import NonNegDuration


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


def _whole_seconds(value: float) -> float:
    if value != int(value):
        raise ValueError(f"grace must be whole seconds (Docker's stop timeout counts in "
                         f"seconds), got {value:g} s")
    return value


# Docker's stop timeout: after SIGTERM (the image's StopSignal), the process has this
# long to exit before SIGKILL. Docker's default, and ours, is 10 s.
GraceSeconds = Annotated[NonNegDuration, AfterValidator(_whole_seconds)]


class GraceParams(TargetParams):
    grace: GraceSeconds = 10.0
    """Seconds the process has to exit after SIGTERM before SIGKILL (docker stop -t)."""


class PauseParams(TargetParams):
    """The service to freeze; how long is the fault's ``duration`` (required)."""


# How long we look for the container's exit after a kill or a stop returned: not a
# wait the fault imposes, only how long we watch before saying it never took effect.
EXIT_WATCH_S = 10.0
# Engine instants further than this outside [asked, answered] mean its clock is not ours.
CLOCK_SLACK_S = 0.5


class _TakesDown(Fault):
    """A fault that takes a container down: instant without a duration."""

    down_wall: float | None = None   # when the process exited (Unix seconds, engine clock)

    def __init__(self, spec: Any, ctx: PartContext) -> None:
        super().__init__(spec, ctx)
        # Without a duration the fault is over once the container is down: the
        # restart policy or the recovery decides what happens next.
        self.instant = spec.duration is None

    def trial_t(self, wall: float, asked_wall: float) -> float:
        """An engine instant on the trial clock; outside [asked, now] it cannot be right
        (an engine clock other than ours), and the instant we saw it stands in for it."""
        clock = self.ctx.clock
        t, now = float(clock.from_wall(wall)), float(clock.now())
        if not clock.from_wall(asked_wall) - CLOCK_SLACK_S <= t <= now + CLOCK_SLACK_S:
            self.detail["engine_clock"] = (f"the engine's instant was {t - now:+.1f} s from "
                                           "ours; the instant we saw it is recorded instead")
            return round(now, 3)
        return round(t, 3)

    def took_down(self, c: Any, asked_wall: float, what: str) -> None:
        """``effective_t``: the instant the container's process exited after ``asked_wall``."""
        try:
            exited = exited_since(c, asked_wall, EXIT_WATCH_S)
        except (DockerException, requests.RequestException) as exc:
            # The fault itself was done; only its instant is unknown. Failing inject()
            # here would revert it at once: record the call's return instead, and say so.
            self.detail["effect_note"] = (f"the engine's exit instant could not be read "
                                          f"({type(exc).__name__}: {exc}); when the call "
                                          "returned is recorded instead")
            return
        if exited is None:
            self.detail.update(effective_t=None, not_effective=(
                f"the container was still running {EXIT_WATCH_S:g} s after {what}"))
            return
        self.down_wall = exited
        self.detail.update(effective_t=self.trial_t(exited, asked_wall),
                           exit_code=c.attrs["State"].get("ExitCode"))

    def mark_back(self) -> None:
        """``ended_t``: the first start after the exit (ours, or a restart policy's)."""
        if self.down_wall is None:
            return
        c = self.need_lab().container(self.params.target)
        back = first_start(str(c.id), after=self.down_wall)   # a fetched container has one
        if back is None:   # no event (pruned?): the state's last start, if after the exit
            c.reload()
            started = parse_instant(c.attrs["State"].get("StartedAt"))
            back = started if started is not None and started > self.down_wall else None
        if back is not None:
            self.detail["ended_t"] = self.trial_t(back, self.down_wall)

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        """When the container really went down, from its ``fault_applied`` event."""
        if event.get("not_effective"):
            return f"never took effect: {event['not_effective']}"
        after = event.get("effect_after_s")
        if not isinstance(after, (int, float)):
            return None
        code = event.get("exit_code")
        how = (f" (exit code {code}{': SIGKILL' if code == 137 else ''})"
               if code is not None else "")
        held = event.get("held_s")
        down = f", down for {held:.1f} s" if isinstance(held, (int, float)) else ""
        return f"the container went down {after:.1f} s after injection{how}{down}"

    def start_if_down(self) -> None:
        c = self.need_lab().container(self.params.target)
        c.reload()
        if c.status == "paused":
            c.unpause()
        elif c.status != "running":
            c.start()
            self.detail["started_again"] = True

    def revert(self) -> None:
        if not self.instant:
            self.start_if_down()
            try:
                self.mark_back()
            except (DockerException, requests.RequestException) as exc:  # reverted all the same
                self.detail["ended_note"] = (f"the engine's start instant could not be read "
                                             f"({type(exc).__name__}: {exc}); when the revert "
                                             "began is recorded instead")

    def cleanup(self) -> None:
        self.start_if_down()


@faults.register("kill")
class Kill(_TakesDown):
    """Send a signal (SIGKILL by default) to a service's container."""

    Params = KillParams

    def inject(self) -> None:
        c = self.need_lab().container(self.params.target)
        asked = time.time()
        c.kill(signal=self.params.signal)
        self.took_down(c, asked, f"{self.params.signal}")


@faults.register("pause")
class Pause(Fault):
    """Freeze a service's container (SIGSTOP semantics) for the fault's duration."""

    Params = PauseParams
    requires_duration = True

    container_id: str | None = None

    def inject(self) -> None:
        c = self.need_lab().container(self.params.target)
        self.container_id = c.id
        self.detail.update(pause(c))

    def revert(self) -> None:
        # No inspect first: on a hung engine it would hang too (chaos/lab/freezer.py).
        if self.container_id is not None:
            self.detail.update(unpause(self.container_id))


@faults.register("stop")
class Stop(_TakesDown):
    """Stop a service's container; start it again after ``duration`` if one is given."""

    Params = GraceParams

    def inject(self) -> None:
        c = self.need_lab().container(self.params.target)
        asked = time.time()
        # Returns once the process exited: at once if it honours SIGTERM, after the
        # grace period (then SIGKILL) if it does not. When is the engine's to say.
        c.stop(timeout=int(self.params.grace))
        self.took_down(c, asked, f"docker stop (grace {self.params.grace:g} s)")


@faults.register("restart")
class RestartFault(_TakesDown):
    """Restart a service's container."""

    Params = GraceParams

    def __init__(self, spec: Any, ctx: PartContext) -> None:
        super().__init__(spec, ctx)
        self.instant = True   # over once the container runs again

    def inject(self) -> None:
        c = self.need_lab().container(self.params.target)
        asked = time.time()
        c.restart(timeout=int(self.params.grace))
        self.took_down(c, asked, f"docker restart (grace {self.params.grace:g} s)")
        # Instant, so no fault_reverted: how long it was down goes on fault_applied.
        try:
            self.mark_back()
        except (DockerException, requests.RequestException) as exc:
            self.detail["ended_note"] = f"the engine's start instant could not be read ({exc})"
        effective, back = self.detail.get("effective_t"), self.detail.get("ended_t")
        if effective is not None and back is not None:
            self.detail["held_s"] = round(back - effective, 3)

    def cleanup(self) -> None:
        """Nothing: a restart leaves the container running (or the recovery's to mend)."""
