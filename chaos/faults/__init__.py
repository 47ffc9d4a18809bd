"""Faults, one module per family; each registers itself in ``chaos.registry.faults``."""

from chaos.faults import container, data, database, disk, migration, network, partition  # noqa: F401
