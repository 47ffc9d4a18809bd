"""Network faults between app and database: latency, loss, bandwidth, reset, partition.

Two paths, chosen per host at run time (``network_path()``):

- ``netem``: ``tc qdisc ... netem`` run by a short-lived helper container that
  shares the database container's network namespace (``network_mode=container:<id>``,
  ``NET_ADMIN``, labelled as the lab's). Shapes every packet the database sends.
- ``proxy``: where the kernel has no ``sch_netem``, the lab routes the app through
  the TCP fault proxy (``chaos/lab/proc/faultproxy.py``, wired by ``chaos.lab.features.dbproxy``)
  and the fault adds a toxic with Toxiproxy's semantics over its control port.

``reset`` always uses the proxy (there is no kernel primitive for it without
iptables); ``partition`` never does: it disconnects the database from the app's
networks and reconnects it, with its aliases, on revert.
"""

from __future__ import annotations

import functools
import json
import urllib.request
from typing import Any

from pydantic import Field

from chaos.errors import FaultError
from chaos.faults.base import Fault
from chaos.lab.features.dbproxy import PROXY_CONTROL_PORT, PROXY_SERVICE, FaultProxy
from chaos.lab.lab import Lab
from chaos.lab.netem import helper_tc, netem_available
from chaos.partcontext import PartContext
from chaos.partregistry import faults
from chaos.parts import LabNeeds
from chaos.scenario.base import Strict
from chaos.scenario.duration import Duration, NonNegDuration

# Fault types that need the proxy on a host without netem, or always.
NEEDS_NETEM_OR_PROXY = {"latency", "loss", "bandwidth"}
ALWAYS_PROXY = {"reset"}


@functools.cache
def network_path() -> str:
    """'netem' when this engine's kernel has sch_netem, else 'proxy'."""
    return "netem" if netem_available() else "proxy"


class NetworkFault(Fault):
    """Shaping faults: a netem qdisc on the db, or a toxic in the proxy."""

    applied: list[str] | None      # the netem interfaces; set by inject
    toxic_name: str | None         # the proxy's toxic; set by inject

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds:
        return LabNeeds(db_proxy="always" if cls.type_name in ALWAYS_PROXY else "without_netem")

    def path(self) -> str:
        return "proxy" if self.type_name in ALWAYS_PROXY else network_path()

    def check(self) -> None:
        if self.path() == "proxy" and self.need_lab().spec.feature(FaultProxy) is None:
            raise FaultError(
                f"{self.type_name}: this host's kernel has no sch_netem, and this lab was "
                "started without the fault proxy between app and database; start the lab "
                "from this scenario (chaos run / chaos lab up FILE) so that it is wired in")

    def netem_args(self) -> list[str]:
        raise NotImplementedError

    def toxic(self) -> dict[str, Any]:
        raise NotImplementedError

    def inject(self) -> None:
        self.detail = {"path": self.path()}
        if self.path() == "netem":
            self.applied = helper_tc(self.need_lab(), ["add", *self.netem_args()])
            self.detail["qdisc"] = " ".join(self.netem_args())
        else:
            toxic = {"name": f"chaos-{self.type_name}-{id(self):x}", **self.toxic()}
            proxy_call(self.need_lab(), "POST", "/toxics", toxic)
            self.toxic_name = toxic["name"]
            self.detail["toxic"] = toxic

    def revert(self) -> None:
        if getattr(self, "applied", None):
            helper_tc(self.need_lab(), ["del"])
            self.applied = None
        name = getattr(self, "toxic_name", None)
        if name:
            proxy_call(self.need_lab(), "DELETE", f"/toxics/{name}", ok=(200, 404))
            self.toxic_name = None


def proxy_call(lab: Lab, method: str, path: str, body: dict[str, Any] | None = None,
               ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
    host, port = lab.published(PROXY_SERVICE, PROXY_CONTROL_PORT)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://{host}:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            answer: dict[str, Any] = json.loads(resp.read() or b"{}")
            return answer
    except urllib.error.HTTPError as exc:
        if exc.code in ok:
            return {}
        raise FaultError(f"fault proxy refused {method} {path}: {exc.read()[:300]!r}") from exc
    except OSError as exc:
        raise FaultError(f"fault proxy unreachable ({method} {path}): {exc}") from exc


Stream = Field("downstream", pattern="^(upstream|downstream)$")


class LatencyFaultParams(Strict):
    latency: Duration
    """Added delay, e.g. 300ms."""
    jitter: NonNegDuration = 0.0
    stream: str = Stream
    """Proxy path only: upstream (app -> db) or downstream (db -> app)."""


@faults.register("latency")
class LatencyFault(NetworkFault):
    """Delay traffic between app and database by ``latency`` (+/- ``jitter``)."""

    Params = LatencyFaultParams
    requires_duration = True

    def netem_args(self) -> list[str]:
        p = self.params
        return ["netem", "delay", f"{p.latency * 1000:g}ms"] + (
            [f"{p.jitter * 1000:g}ms"] if p.jitter else [])

    def toxic(self) -> dict[str, Any]:
        p = self.params
        return {"type": "latency", "stream": p.stream,
                "attributes": {"latency": p.latency * 1000, "jitter": p.jitter * 1000}}


class LossParams(Strict):
    percent: float = Field(gt=0, le=100)
    """Share of packets lost (proxy: of chunks delayed by a retransmission timeout)."""
    stream: str = Stream


@faults.register("loss")
class Loss(NetworkFault):
    """Lose a share of the packets between app and database."""

    Params = LossParams
    requires_duration = True

    def netem_args(self) -> list[str]:
        return ["netem", "loss", f"{self.params.percent:g}%"]

    def toxic(self) -> dict[str, Any]:
        return {"type": "loss", "stream": self.params.stream,
                "attributes": {"percent": self.params.percent, "rto": 200}}


class BandwidthParams(Strict):
    rate: float = Field(gt=0, le=10_000_000)
    """KB/s, as Toxiproxy counts it."""
    stream: str = Stream


@faults.register("bandwidth")
class Bandwidth(NetworkFault):
    """Cap the bandwidth between app and database at ``rate`` KB/s."""

    Params = BandwidthParams
    requires_duration = True

    def netem_args(self) -> list[str]:
        return ["netem", "rate", f"{self.params.rate * 8:g}kbit"]

    def toxic(self) -> dict[str, Any]:
        return {"type": "bandwidth", "stream": self.params.stream,
                "attributes": {"rate": self.params.rate}}


class ResetParams(Strict):
    pass


@faults.register("reset")
class Reset(NetworkFault):
    """Reset the app's database connections (TCP RST); with a duration, new ones too."""

    Params = ResetParams

    def __init__(self, spec: Any, ctx: PartContext) -> None:
        super().__init__(spec, ctx)
        self.instant = spec.duration is None   # reset once, and let the pool reconnect

    def toxic(self) -> dict[str, Any]:
        return {"type": "reset_peer", "stream": "downstream", "attributes": {"timeout": 0}}
