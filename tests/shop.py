"""The sample shop as the tests' system under test, declared like any user's system."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "compose" / "docker-compose.yml"
LOCUSTFILE = str(REPO / "compose" / "locustfile.py")
DATA_LOSS = {"query": "SELECT client_ref::text FROM orders WHERE client_ref::text = ANY(%(refs)s)"}


def load(users: int, **extra) -> dict:
    """The shop's own locustfile at ``users`` users."""
    return {"users": users, "spawn_rate": users, "locustfile": LOCUSTFILE, **extra}
