"""A small, size-capped disk in the database, for ``disk_full`` scenarios.

The database's own volume lives on the host's disk, so filling it would fill the
host. Labs whose scenario has a ``disk_full`` fault get instead a tmpfs mounted in
the db service at ``DISK_MOUNT`` (capped at the fault's ``size``; it is memory,
never host disk). The fault puts one table on a tablespace there and fills the
mount: extending that table's files fails with an ERROR, while WAL and every
other relation stay on the normal volume, so PostgreSQL never PANICs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chaos.lab.feature import LabFeature, OverrideDoc, lab_feature
from chaos.parts import LabNeeds
from chaos.scenario import Scenario

DISK_MOUNT = "/var/lib/chaos-disk"


@lab_feature
@dataclass(frozen=True)
class SmallDisk(LabFeature):
    name: ClassVar[str] = "db_disk"
    size: str = "32m"    # a tmpfs size, as compose writes it

    @classmethod
    def from_scenario(cls, scenario: Scenario, needs: LabNeeds) -> SmallDisk | None:
        return cls(size=f"{needs.db_disk_mb}m") if needs.db_disk_mb else None

    def override(self, o: OverrideDoc) -> None:
        # Owned by root (mode 0755) until the fault's check() hands it to postgres.
        o.service(o.spec.db_service)["tmpfs"] = [f"{DISK_MOUNT}:size={self.size},mode=0755"]
