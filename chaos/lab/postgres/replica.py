"""A streaming replica of the database service, for ``failover``.

A lab whose scenario sets ``lab.replica`` gets, in its override file, one more
service, ``<db>-replica`` (labelled ``chaos.lab=<id>`` like every service), on
the db service's image, environment and command, with:

- its own data volume ``chaos-replica`` (labelled, removed with the lab);
- an entrypoint that, while the data directory is empty, runs ``pg_basebackup
  -R -X stream`` from the db service over the lab network (retrying until the
  primary lets it in), then hands over to the image's own entrypoint, which
  finds a data directory and starts the server as a hot standby
  (``standby.signal``); ``cluster_name`` names it to the primary;
- a published port on 127.0.0.1, so that chaos reaches it once it is promoted.

Once the db service is up, ``prepare_primary`` lets the replication user in
(``pg_hba.conf``: the official image and chaos/db only trust replication over
the Unix socket) and, for ``synchronous: true``, sets ``synchronous_standby_names``
by ``ALTER SYSTEM`` only once the replica streams: set on the command line it
would also hold the image's init scripts waiting for a standby that does not
exist yet. Nothing here knows the application's tables.
"""

from __future__ import annotations

import time
from typing import Any

from docker.models.containers import Container

from chaos.errors import LabError
from chaos.lab.feature import LabHandle, LabSpec
from chaos.lab.postgres.walarchive import client_env, db_command, exec_in

REPLICA_VOLUME = "chaos-replica"
STANDBY_NAME = "chaos_replica"
DEFAULT_PGDATA = "/var/lib/postgresql/data"

# Runs as root in the replica container before the image's entrypoint ("$@").
# Written with plain "$"; doubled when it goes into the override (compose interpolates).
CLONE_SCRIPT = """set -eu
D="${PGDATA:-/var/lib/postgresql/data}"
if [ ! -s "$D/PG_VERSION" ]; then
  mkdir -p "$D"
  n=0
  until pg_basebackup -h "$CHAOS_PRIMARY_HOST" -p "$CHAOS_PRIMARY_PORT" -U "$PGUSER" \\
      -D "$D" -R -X stream -c fast 2>/tmp/chaos-basebackup.err; do
    n=$((n + 1))
    if [ "$n" -ge 600 ]; then cat /tmp/chaos-basebackup.err >&2; exit 3; fi
    find "$D" -mindepth 1 -delete
    sleep 0.5
  done
  chown -R postgres:postgres "$D"
  chmod 0700 "$D"
fi
exec "$@"
"""


def replica_service(db_service: str) -> str:
    return f"{db_service}-replica"


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):   # ["KEY=value", ...] as compose also allows
        env = dict(str(e).partition("=")[::2] for e in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def replica_override(override: dict[str, Any], base: dict[str, Any], spec: LabSpec,
                     tags: dict[str, str]) -> None:
    """Add the replica service and its volume to the lab's override file."""
    services = base.get("services") or {}
    service = services.get(spec.db_service)
    if not isinstance(service, dict):
        raise LabError(f"lab.replica: no service {spec.db_service!r} in {spec.compose_file}")
    image = override["services"].get(spec.db_service, {}).get("image") or service.get("image")
    if not image:
        raise LabError(f"lab.replica: service {spec.db_service!r} names no image for the "
                       "replica to run")
    env = _environment(service)
    pgdata = env.get("PGDATA", DEFAULT_PGDATA)
    env |= {"PGUSER": spec.db_user, "PGPASSWORD": spec.db_password.replace("$", "$$"),
            "CHAOS_PRIMARY_HOST": spec.db_service, "CHAOS_PRIMARY_PORT": str(spec.db_port)}
    entrypoint = service.get("entrypoint") or ["docker-entrypoint.sh"]
    if isinstance(entrypoint, str):
        entrypoint = entrypoint.split()
    command = db_command(service, spec.db_service) + ["-c", f"cluster_name={STANDBY_NAME}"]
    replica: dict[str, Any] = {
        "image": image,
        "labels": tags,
        "environment": env,
        "user": "root",
        "entrypoint": ["sh", "-c", CLONE_SCRIPT.replace("$", "$$"), "chaos-replica",
                       *[str(a) for a in entrypoint]],
        "command": command,
        "volumes": [f"{REPLICA_VOLUME}:{pgdata}"],
        "ports": [f"127.0.0.1::{spec.db_port}"],
        "depends_on": [spec.db_service],
        "stop_grace_period": "5s",
        "healthcheck": {"test": ["CMD-SHELL", f"pg_isready -q -h 127.0.0.1 -p {spec.db_port}"],
                        "interval": "1s", "timeout": "3s", "retries": 300},
    }
    if service.get("shm_size"):
        replica["shm_size"] = service["shm_size"]
    if "networks" in service:
        replica["networks"] = service["networks"]
    override["services"][replica_service(spec.db_service)] = replica
    override.setdefault("volumes", {})[REPLICA_VOLUME] = {"labels": tags}


def psql(container: Container, spec: LabSpec, sql: str, what: str) -> str:
    return exec_in(container, ["psql", "-qAtX", "-c", sql], what, env=client_env(spec)).strip()


def wait_running(lab: LabHandle, service: str, timeout: float) -> Container:
    """Until the service's container is running and its server answers a query."""
    deadline = time.monotonic() + timeout
    while True:
        c = lab.container(service)
        c.reload()
        if c.status in ("exited", "dead"):
            raise LabError(f"lab {lab.id}: {service} exited before the replica was set up:\n"
                           + c.logs(tail=20).decode(errors="replace"))
        if c.status == "running":
            code, _ = c.exec_run(["psql", "-qAtX", "-c", "SELECT 1"],
                                 environment=client_env(lab.spec))
            if code == 0:
                return c
        if time.monotonic() > deadline:
            raise LabError(f"lab {lab.id}: {service} did not answer within {timeout:.0f} s")
        time.sleep(0.25)


def hba_method(container: Container, spec: LabSpec) -> str:
    """The method the primary already asks of remote clients: the replica uses it too."""
    found = psql(container, spec, "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host'"
                 " AND 'all' = ANY(database) ORDER BY line_number DESC LIMIT 1",
                 "reading pg_hba.conf")
    return found or "md5"


def prepare_primary(lab: LabHandle, timeout: float = 120) -> None:
    """Let replication connections from the lab network in (idempotent)."""
    spec = lab.spec
    c = wait_running(lab, spec.db_service, timeout)
    hba = psql(c, spec, "SHOW hba_file", "locating pg_hba.conf")
    line = f"host replication all all {hba_method(c, spec)}"
    exec_in(c, ["sh", "-c", 'grep -qxF "$0" "$1" || printf "\\n%s\\n" "$0" >> "$1"', line, hba],
            "allowing replication in pg_hba.conf", user="root")
    psql(c, spec, "SELECT pg_reload_conf()", "reloading the primary")


def wait_streaming(lab: LabHandle, synchronous: bool, timeout: float = 120) -> None:
    """Until the primary sees the replica streaming (and, if asked, as its sync standby)."""
    spec = lab.spec
    c = lab.container(spec.db_service)
    if synchronous:
        psql(c, spec, f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'",
             "setting synchronous_standby_names")
        psql(c, spec, "SELECT pg_reload_conf()", "reloading the primary")
    want = "sync" if synchronous else "async"
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = psql(c, spec, "SELECT state || '/' || sync_state FROM pg_stat_replication "
                    f"WHERE application_name = '{STANDBY_NAME}'", "reading pg_stat_replication")
        if seen == f"streaming/{want}":
            return
        time.sleep(0.25)
    raise LabError(f"lab {lab.id}: the replica is not streaming ({want}) after "
                   f"{timeout:.0f} s (pg_stat_replication: {seen or 'no row'})")


def setup_replica(lab: LabHandle, synchronous: bool) -> None:
    """After ``compose up``: primary prepared, replica cloned, streaming."""
    prepare_primary(lab)
    wait_running(lab, replica_service(lab.spec.db_service), timeout=300)
    wait_streaming(lab, synchronous)
