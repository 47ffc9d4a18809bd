"""Detectors and probes; each registers itself in ``chaos.registry.detectors``."""

from chaos.detect import promalert, rules  # noqa: F401
