"""Detectors and probes; each registers itself in ``chaos.partregistry.detectors``."""

from chaos.detect import promalert, rules  # noqa: F401
