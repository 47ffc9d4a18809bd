"""Detectors and probes; each registers itself in ``chaos.registry.detectors``."""

from chaos.detect import rules  # noqa: F401
