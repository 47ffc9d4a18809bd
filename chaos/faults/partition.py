"""A network partition: the database unreachable from the app.

Done with the engine rather than the kernel, so it works with or without netem:
the database container is disconnected from every network it shares with the
app, and reconnected on revert with the aliases it had (the service name among
them, or the app could not find it again). Only the lab's own networks, which
carry its label, are touched. The database's published port goes with it, so
probes and backups from this host fail during the partition too.
"""

from __future__ import annotations

from typing import Any

from chaos.errors import FaultError
from chaos.faults.base import Fault
from chaos.lab import labels
from chaos.lab.engine import client
from chaos.partcontext import PartContext
from chaos.partregistry import faults
from chaos.scenario.base import Strict


class PartitionParams(Strict):
    """No parameters: how long is the fault's ``duration`` (required)."""


@faults.register("partition")
class Partition(Fault):
    """Cut the database off the app's networks (docker network disconnect) for the duration."""

    Params = PartitionParams
    requires_duration = True

    def __init__(self, spec: Any, ctx: PartContext) -> None:
        super().__init__(spec, ctx)
        self.cut: dict[str, list[str]] = {}    # network id -> the db's aliases on it

    def inject(self) -> None:
        lab = self.need_lab()
        app, db = lab.container(lab.spec.app_service), lab.container(lab.spec.db_service)
        shared = set(app.attrs["NetworkSettings"]["Networks"]) & set(
            db.attrs["NetworkSettings"]["Networks"])
        for name in sorted(shared):
            net = client().networks.get(name)
            if net.attrs.get("Labels", {}).get(labels.LAB) != lab.id:
                continue   # not ours: never touched
            aliases = db.attrs["NetworkSettings"]["Networks"][name].get("Aliases") or []
            # Docker adds the short container id itself on connect.
            net_id: str = net.attrs["Id"]   # what net.id reads; the stubs type it Optional
            self.cut[net_id] = [a for a in aliases if a != str(db.id)[:12]]
            net.disconnect(db)
        if not self.cut:
            raise FaultError("partition: the app and the database share no network of this lab")
        self.detail = {"networks": len(self.cut)}

    def revert(self) -> None:
        db = self.need_lab().container(self.need_lab().spec.db_service)
        db.reload()
        attached = {n["NetworkID"] for n in db.attrs["NetworkSettings"]["Networks"].values()}
        cut, self.cut = self.cut, {}
        for net_id, aliases in cut.items():
            if net_id not in attached:
                client().networks.get(net_id).connect(db, aliases=aliases)
