"""The replica takes over: failing the lab's database over to it, and back between trials.

    fenced = fence_primary(lab)        # the old primary killed and off every network
    lsns = promote_replica(lab)         # pg_promote(): the replica takes writes
    move_alias(lab, fenced)             # the db service's name now reaches the replica
    restore_topology(lab)               # between trials: old primary back, a fresh replica

Moving the name is what lets the app keep its connection string: the compose
network resolves the db service's name through the alias the old primary
held; the replica is disconnected and connected again with that alias (Docker
adds an alias only when a container joins a network). The published port
moves with it (Docker picks a new one), so ``lab.db_dsn`` follows ``lab.primary``.
"""

from __future__ import annotations

import time

from docker.errors import APIError, NotFound

from chaos.errors import LabError
from chaos.lab.engine import client
from chaos.lab.feature import LabHandle
from chaos.lab.postgres.replica import psql, replica_service, setup_replica, wait_running


def fence_primary(lab: LabHandle) -> list[str]:
    """Kill the old primary and take it off its networks, so that it can never take a
    write again, whatever restarts it later; returns the networks it was on."""
    c = lab.container(lab.spec.db_service)
    c.reload()
    networks = list(c.attrs["NetworkSettings"].get("Networks") or {})
    if c.status in ("running", "paused", "restarting"):
        try:
            c.kill()
        except APIError:
            pass   # it died by itself in between: fenced all the same
    for name in networks:
        try:
            client().networks.get(name).disconnect(c, force=True)
        except NotFound:
            pass   # already off it
    return networks


def promote_replica(lab: LabHandle, timeout: float = 60) -> dict[str, str]:
    """``pg_promote()`` on the replica; the WAL position it had replayed, and its own
    position once it accepts writes."""
    spec = lab.spec
    c = lab.container(replica_service(spec.db_service))
    replayed = psql(c, spec, "SELECT pg_last_wal_replay_lsn()", "reading the replica's position")
    done = psql(c, spec, f"SELECT pg_promote(true, {int(timeout)})", "promoting the replica")
    if done != "t":
        raise LabError(f"the replica was not promoted within {timeout:.0f} s")
    # Cloned from a synchronous primary, it would wait for a standby of its own that
    # does not exist: a lone primary commits alone.
    psql(c, spec, "ALTER SYSTEM RESET synchronous_standby_names", "dropping synchronous commit")
    psql(c, spec, "SELECT pg_reload_conf()", "reloading the new primary")
    now = psql(c, spec, "SELECT pg_current_wal_lsn()", "reading the new primary's position")
    lab.primary = replica_service(spec.db_service)
    return {"replayed_lsn": replayed, "promoted_lsn": now}


def move_alias(lab: LabHandle, networks: list[str]) -> None:
    """The db service's name, on every network the old primary was on, to the replica."""
    db, replica = lab.spec.db_service, replica_service(lab.spec.db_service)
    c = lab.container(replica)
    for name in networks:
        net = client().networks.get(name)
        try:
            net.disconnect(c, force=True)
        except (NotFound, APIError):
            pass   # not on this one yet
        net.connect(c, aliases=[db, replica])


def restore_topology(lab: LabHandle, synchronous: bool, timeout: float = 300) -> float:
    """After a failover: the db service is the primary again, on its networks under its
    name, and the replica is cloned afresh from it (its old data diverged at the
    promotion); returns the seconds it took."""
    t0 = time.monotonic()
    spec = lab.spec
    db, replica = spec.db_service, replica_service(spec.db_service)
    old, new = lab.container(db), lab.container(replica)
    new.reload()
    networks = list(new.attrs["NetworkSettings"].get("Networks") or {})
    volumes = [m["Name"] for m in new.attrs.get("Mounts") or [] if m.get("Type") == "volume"]
    # Stopped before it is removed: a clean shutdown ends the app's pooled connections
    # to it (the server terminates its backends). Removed outright, its network vanishes
    # under them: nothing answers or resets those sockets, and an app whose pool hands
    # them out hangs on each until its own timeouts (issue #13: an async run's trial 4
    # failed its baseline that way, the app silent 5 s into the trial).
    try:
        new.stop(timeout=10)
    except APIError:
        pass   # already stopped
    new.remove(force=True)
    for name in volumes:
        client().volumes.get(name).remove(force=True)
    old.reload()
    for name in networks:
        net = client().networks.get(name)
        if name not in (old.attrs["NetworkSettings"].get("Networks") or {}):
            net.connect(old, aliases=[db])
    if old.status != "running":
        old.start()
    lab.primary = ""
    wait_running(lab, db, timeout)
    # Until the new replica streams, a synchronous primary would hold every commit.
    primary = lab.container(db)
    psql(primary, spec, "ALTER SYSTEM RESET synchronous_standby_names", "resetting sync")
    psql(primary, spec, "SELECT pg_reload_conf()", "reloading the primary")
    lab.compose.up(services=[replica])
    setup_replica(lab, synchronous)
    return round(time.monotonic() - t0, 3)
