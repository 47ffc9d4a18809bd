"""The sample system shipped with chaos: a small shop and its scenarios.

It is one user of the engine, configured in its own scenarios like any other
system (nothing else in ``chaos/`` knows its tables, paths or fields). It ships
as package data so that an installed chaos can bring up the sample lab, build
its app image, and write the whole sample out for a user to copy
(``chaos example DIR``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent
COMPOSE_FILE = SAMPLE_DIR / "compose" / "docker-compose.yml"
APP_CONTEXT = SAMPLE_DIR / "compose" / "app"
LOCUSTFILE = SAMPLE_DIR / "compose" / "locustfile.py"
# How the shop's scenarios count lost acknowledged writes (its orders carry the client's ref).
DATA_LOSS = {"query": "SELECT client_ref::text FROM orders WHERE client_ref::text = ANY(%(refs)s)"}
PARTS = ("compose", "scenarios")


def lab(**extra: object) -> dict[str, object]:
    """A scenario's ``lab`` section for the shop (``/health`` settles it between trials)."""
    return {"compose": str(COMPOSE_FILE), "health_path": "/health", **extra}


def load(users: int, **extra: object) -> dict[str, object]:
    """A scenario's ``load`` section for the shop's own locustfile at ``users`` users."""
    return {"users": users, "spawn_rate": users, "locustfile": str(LOCUSTFILE), **extra}


def write_example(dest: Path) -> list[Path]:
    """Copy the sample lab and its scenarios into ``dest`` (which must not hold them yet)."""
    written = []
    for part in PARTS:
        target = dest / part
        if target.exists():
            raise FileExistsError(target)
    dest.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        shutil.copytree(SAMPLE_DIR / part, dest / part,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        written.append(dest / part)
    return written
