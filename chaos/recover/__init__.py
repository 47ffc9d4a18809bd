"""Recovery: the runbook steps; each registers itself in ``chaos.partregistry.steps``."""

from chaos.recover import failover, pitr, rerun, steps  # noqa: F401
