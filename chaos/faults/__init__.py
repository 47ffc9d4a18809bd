"""Faults, one module per family; each registers itself in ``chaos.partregistry.faults``."""

from chaos.faults import (  # noqa: F401
    container,
    data,
    database,
    disk,
    limits,
    migration,
    network,
    partition,
)
