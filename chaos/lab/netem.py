"""``tc`` in a helper container that shares a container's network namespace.

As Pumba and Litmus do: the helper (``chaos/pybase:bookworm``, which has iproute2)
runs with ``network_mode=container:<db id>`` and ``NET_ADMIN``, labelled with the
lab's id so that teardown finds it and no fault ever targets it, and is removed
as soon as ``tc`` returns. The qdisc stays on the database's interfaces until the
revert's helper deletes it. Whether the kernel has ``sch_netem`` is probed once
per process with a throwaway helper in its own namespace.
"""

from __future__ import annotations

import functools
from typing import Any

from docker.models.containers import Container

from chaos.errors import FaultError
from chaos.lab import labels
from chaos.lab.engine import client
from chaos.lab.feature import LabHandle
from chaos.lab.images.recipes import HELPER_IMAGE

PROBE_LABEL = "probe"


def _run(argv: list[str], lab_id: str, network_mode: str | None = None) -> tuple[int, str]:
    kw: dict[str, Any] = {"network_mode": network_mode} if network_mode else {}
    c = client().containers.run(HELPER_IMAGE, argv, detach=True, cap_add=["NET_ADMIN"],
                                labels={labels.LAB: lab_id}, **kw)
    try:
        code = c.wait(timeout=60)["StatusCode"]
        return code, c.logs().decode(errors="replace").strip()
    finally:
        c.remove(force=True)


@functools.cache
def netem_available() -> bool:
    """True when ``tc qdisc add ... netem`` works on this engine's kernel."""
    code, out = _run(["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
                     PROBE_LABEL)
    return code == 0


def interfaces(lab: LabHandle, db: Container) -> list[str]:
    code, out = _run(["ip", "-o", "link", "show"], lab.id, f"container:{db.id}")
    if code != 0:
        raise FaultError(f"cannot list the database's interfaces: {out[-300:]}")
    # "216: eth0@if217: <...>" -> eth0
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line]
    return [n for n in names if n != "lo"]


def helper_tc(lab: LabHandle, args: list[str]) -> list[str]:
    """``tc qdisc <args[0]> dev <each> root <args[1:]>`` on every interface of the db."""
    db = lab.container(lab.spec.db_service)
    done: list[str] = []
    for dev in interfaces(lab, db):
        argv = ["tc", "qdisc", args[0], "dev", dev, "root", *args[1:]]
        code, out = _run(argv, lab.id, f"container:{db.id}")
        if code != 0 and args[0] == "add":
            for undo in done:   # never leave a half-applied set-up behind (as Pumba does)
                _run(["tc", "qdisc", "del", "dev", undo, "root"], lab.id, f"container:{db.id}")
            raise FaultError(f"tc {' '.join(argv[1:])} failed: {out[-300:]}")
        done.append(dev)
    return done
