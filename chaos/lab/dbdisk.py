"""Wiring a small, size-capped disk into the database, for ``disk_full`` scenarios.

The database's own volume lives on the host's disk, so filling it would fill the
host. Labs whose scenario has a ``disk_full`` fault get instead a tmpfs mounted in
the db service at ``DISK_MOUNT`` (capped at the fault's ``size``; it is memory,
never host disk). The fault puts one table on a tablespace there and fills the
mount: extending that table's files fails with an ERROR, while WAL and every
other relation stay on the normal volume, so PostgreSQL never PANICs.
"""

from __future__ import annotations

from typing import Any

DISK_MOUNT = "/var/lib/chaos-disk"


def disk_override(override: dict[str, Any], spec: Any, tags: dict[str, str]) -> None:
    db = override["services"].setdefault(spec.db_service, {"labels": tags})
    # Owned by root (mode 0755) until the fault's check() hands it to postgres.
    db["tmpfs"] = [f"{DISK_MOUNT}:size={spec.db_disk},mode=0755"]
