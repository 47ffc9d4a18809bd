"""What is ours on the engine, found strictly by the ``chaos.lab`` label.

    list_resources("3f9c1a2b")   # that lab's containers, networks, volumes
    sweep("3f9c1a2b")            # remove them (a paused container is thawed first)
    stale_labs()                 # labs whose owning process is gone
    wait_healthy("3f9c1a2b", 60) # every container of the lab running and healthy
"""

from __future__ import annotations

import time
from typing import Any

from chaos.errors import LabError
from chaos.lab import labels
from chaos.lab.engine import client
from chaos.lab.freezer import unpause


def wait_healthy(lab_id: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        containers = client().containers.list(all=True, filters={"label": f"{labels.LAB}={lab_id}"})
        waiting = []
        for c in containers:
            state = c.attrs["State"]
            service = c.labels.get("com.docker.compose.service", c.name)
            if state["Status"] in ("exited", "dead"):
                logs = c.logs(tail=20).decode(errors="replace")
                raise LabError(f"lab {lab_id}: {service} exited "
                               f"(code {state['ExitCode']}):\n{logs}")
            health = (state.get("Health") or {}).get("Status")
            if state["Status"] != "running" or health not in (None, "healthy"):
                waiting.append(f"{service}={health or state['Status']}")
        if containers and not waiting:
            return
        if time.monotonic() > deadline:
            raise LabError(f"lab {lab_id}: not healthy after {timeout:.0f} s "
                           f"({', '.join(waiting)})")
        time.sleep(0.25)


def list_resources(lab_id: str | None = None) -> dict[str, list[Any]]:
    """Our containers, networks and volumes: one lab's (by its exact label), or, with
    no id at all, every lab's. An empty id is refused, never read as "every lab"."""
    if lab_id is not None and not lab_id:
        raise LabError("an empty lab id selects nothing (refusing to list every lab)")
    flt: dict[str, str | list[str] | bool] = {
        "label": f"{labels.LAB}={lab_id}" if lab_id is not None else labels.LAB}
    c = client()
    return {
        "containers": c.containers.list(all=True, filters=flt),
        "networks": c.networks.list(filters=flt),
        "volumes": c.volumes.list(filters=flt),
    }


def sweep(lab_id: str) -> None:
    """Remove what compose left behind; selects strictly by our label."""
    found = list_resources(lab_id)
    for c in found["containers"]:
        if c.status == "paused":
            unpause(c.id)
        c.remove(force=True, v=True)
    for n in found["networks"]:
        n.remove()
    for v in found["volumes"]:
        v.remove(force=True)


def running_labs() -> dict[str, dict[str, str]]:
    """lab id -> labels of one of its containers, for every lab on this engine."""
    labs: dict[str, dict[str, str]] = {}
    for kind in list_resources().values():
        for r in kind:
            lab_labels = r.labels if hasattr(r, "labels") else r.attrs.get("Labels") or {}
            labs.setdefault(lab_labels[labels.LAB], lab_labels)
    return labs


def stale_labs() -> list[str]:
    return sorted(i for i, lbl in running_labs().items() if not labels.owner_alive(lbl))
