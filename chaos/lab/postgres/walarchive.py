"""WAL archiving and base backups in the database service, for point-in-time recovery.

A lab whose scenario sets ``lab.wal_archive`` gets, in its override file:

- a volume ``chaos-pitr`` (labelled ``chaos.lab=<id>``, removed with the lab)
  mounted in the db service at ``PITR_MOUNT``: ``archive/`` holds every
  completed WAL segment (gzip-compressed: a segment switched early by
  ``archive_timeout`` is 16 MiB of mostly zeros), ``base/`` the newest base backup;
- ``-c archive_mode=on -c archive_timeout=N -c archive_command=...`` appended to
  the db service's command (``postgres`` when it has none).

That is all a PostgreSQL image needs whose entrypoint passes ``postgres -c ...``
through, as the project's chaos/db and the official postgres image both do; the
server runs as the ``postgres`` user, and ``pg_basebackup`` connects over the
Unix socket in ``/var/run/postgresql``, which both images' ``pg_hba.conf``
trust for replication. Nothing here knows the application's tables.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from chaos.errors import LabError
from chaos.lab.feature import LabHandle, LabSpec
from chaos.scenario.labsection import postgres_argv

PITR_VOLUME = "chaos-pitr"
PITR_MOUNT = "/var/lib/chaos-pitr"
ARCHIVE_DIR = f"{PITR_MOUNT}/archive"
BASE_DIR = f"{PITR_MOUNT}/base"
SOCKET_DIR = "/var/run/postgresql"

# No "$" anywhere: compose would interpolate it. %p is relative to the data directory.
ARCHIVE_COMMAND = (f"gzip -1 < %p > {ARCHIVE_DIR}/%f.gz.part"
                   f" && mv {ARCHIVE_DIR}/%f.gz.part {ARCHIVE_DIR}/%f.gz")
RESTORE_COMMAND = f"gunzip < {ARCHIVE_DIR}/%f.gz > %p"


def archive_settings(timeout_s: int) -> list[str]:
    """The server options that turn archiving on (``wal_level`` stays the default, replica)."""
    return ["-c", "archive_mode=on", "-c", f"archive_timeout={timeout_s}",
            "-c", f"archive_command={ARCHIVE_COMMAND}"]


def db_command(service: Any, db_service: str) -> list[str]:
    """The db service's command as a list, ready for more ``-c`` options."""
    command = service.get("command") if isinstance(service, dict) else None
    argv = postgres_argv(command)
    if argv is not None:
        return argv
    # Validation refuses such a scenario (chaos.scenario.labsection); a lab started from
    # a spec made otherwise still gets the reason.
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command or []]
    raise LabError(f"service {db_service!r}: its command {' '.join(argv)!r} does not start "
                   "postgres, so chaos cannot add the WAL archiving options (lab.wal_archive) "
                   "to it; give it `command: postgres ...` or leave the command out")


def wal_archive_override(override: dict[str, Any], base: dict[str, Any], spec: LabSpec,
                         tags: dict[str, str], timeout_s: int) -> None:
    service = (base.get("services") or {}).get(spec.db_service)
    db = override["services"].setdefault(spec.db_service, {"labels": tags})
    db["command"] = db_command(service, spec.db_service) + archive_settings(timeout_s)
    # Compose merges a service's volumes by their path in the container.
    db.setdefault("volumes", []).append(f"{PITR_VOLUME}:{PITR_MOUNT}")
    override.setdefault("volumes", {})[PITR_VOLUME] = {"labels": tags}


def exec_in(container: Any, argv: list[str], what: str, env: dict[str, str] | None = None,
            user: str = "") -> str:
    code, output = container.exec_run(argv, environment=env or {}, user=user, demux=False)
    text = (output if isinstance(output, bytes) else b"").decode(errors="replace")
    if code != 0:
        raise LabError(f"{what} failed in the database container (exit {code}): "
                       f"{text.strip()[-800:]}")
    return text


def client_env(spec: LabSpec) -> dict[str, str]:
    return {"PGPASSWORD": spec.db_password, "PGUSER": spec.db_user,
            "PGDATABASE": spec.db_name, "PGPORT": str(spec.db_port), "PGHOST": SOCKET_DIR}


def prepare_archive(lab: LabHandle) -> None:
    """Once the lab is up: give the archive to the server's user, then wake the server.

    A new volume is root's, so the first archive attempts fail (the server retries
    them). The reload is there because, measured on PostgreSQL 15 here, the
    checkpointer did not force a single ``archive_timeout`` switch after start
    until it got a SIGHUP; after one it switches every ``archive_timeout``."""
    c = lab.container(lab.spec.db_service)
    exec_in(c, ["sh", "-c", f"mkdir -p {ARCHIVE_DIR} && chown postgres {PITR_MOUNT} {ARCHIVE_DIR}"],
            "preparing the WAL archive", user="root")
    exec_in(c, ["psql", "-qAt", "-c", "SELECT pg_reload_conf()"], "reloading the server",
            env=client_env(lab.spec))


@dataclass(frozen=True)
class BaseBackup:
    start_lsn: str          # where replay starts (backup_label's START WAL LOCATION)
    start_wal: str          # the segment holding it: older segments are not needed
    bytes: int              # the size of the backup, WAL included


_START = re.compile(r"START WAL LOCATION: ([0-9A-F]+/[0-9A-F]+) \(file ([0-9A-F]{24})\)")


def take_base_backup(lab: LabHandle) -> BaseBackup:
    """``pg_basebackup`` (plain format, WAL streamed) into the archive volume, replacing
    the previous one; archived segments older than it are removed (pg_archivecleanup)."""
    c = lab.container(lab.spec.db_service)
    new = f"{BASE_DIR}.new"
    out = exec_in(c, ["sh", "-c",
                      f"rm -rf {new} && pg_basebackup -D {new} -Fp -X stream -c fast --no-sync"
                      f" && rm -rf {BASE_DIR} && mv {new} {BASE_DIR}"
                      f" && cat {BASE_DIR}/backup_label && du -sb {BASE_DIR}"],
                  "pg_basebackup", env=client_env(lab.spec))
    found = _START.search(out)
    size = re.search(r"^(\d+)\s", out, re.MULTILINE)
    if found is None or size is None:
        raise LabError(f"pg_basebackup: cannot read the backup's start position from "
                       f"{out.strip()[-400:]!r}")
    exec_in(c, ["pg_archivecleanup", "-x", ".gz", ARCHIVE_DIR, found.group(2)],
            "pg_archivecleanup", user="postgres")
    return BaseBackup(start_lsn=found.group(1), start_wal=found.group(2), bytes=int(size.group(1)))
