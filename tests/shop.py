"""The sample shop as the tests' system under test, declared like any user's system."""

from __future__ import annotations

from pathlib import Path

from chaos.sample import DATA_LOSS, lab, load  # noqa: F401  (re-exported for the tests)

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "compose" / "docker-compose.yml"
LOCUSTFILE = str(REPO / "compose" / "locustfile.py")
