"""The lab a scenario asks for: its compose file and services, and what its parts need.

The parts declare their needs (``chaos.parts.LabNeeds``); this is where a need
that depends on the host is settled: a network fault that wants the fault proxy
only "without netem" gets it when the engine's kernel has no ``sch_netem``.
"""

from __future__ import annotations

from chaos.lab.lab import LabSpec
from chaos.lab.netem import netem_available
from chaos.lab.observestack import observe_spec
from chaos.parts import LabNeeds
from chaos.scenario import Scenario


def needs_proxy(needs: LabNeeds) -> bool:
    """Whether the app must reach the database through the fault proxy (probes netem once)."""
    if needs.db_proxy == "always":
        return True
    return needs.db_proxy == "without_netem" and not netem_available()


def lab_spec(scenario: Scenario) -> LabSpec:
    lab, needs = scenario.lab, scenario.lab_needs()
    return LabSpec(compose_file=str(scenario.compose_file()), app_service=lab.app,
                   db_service=lab.db, app_port=lab.app_port, db_port=lab.db_port,
                   db_user=lab.db_user, db_password=lab.db_password, db_name=lab.db_name,
                   db_proxy=needs_proxy(needs),
                   db_disk=f"{needs.db_disk_mb}m" if needs.db_disk_mb else None,
                   wal_archive_timeout=lab.wal_archive.timeout_s if lab.wal_archive else None,
                   replica_sync=lab.replica.synchronous if lab.replica else None,
                   db_env={k: str(v) for k, v in lab.db_env.items()},
                   observe=observe_spec(prom) if (prom := prometheus(scenario)) else None)


def prometheus(scenario: Scenario) -> object | None:
    return scenario.observe.prometheus if scenario.observe else None
