"""What the lab's images are made of: their names, packages and recipe hashes.

A recipe is a digest of everything that goes into an image (suite, packages,
image changes, the entrypoint script, the sample app's files); an image whose
recipe label matches is up to date (``chaos/lab/images/labset.py`` builds the rest).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from chaos import settings
from chaos.errors import LabError
from chaos.lab.images.rootfs import BASE_PACKAGES, ENTRYPOINT_SRC, STD_PATH, SUITE, VARIANT

PYBASE_TAG = "chaos/pybase:bookworm"
DB_TAG = "chaos/db:latest"
APP_TAG = "chaos/app:latest"
#: Locust workers on load hosts of their own (:mod:`chaos.lab.images.loadworkerset`).
LOADWORKER_TAG = "chaos/loadworker:latest"
#: Image for helper containers (``tc netem`` in a target's network namespace).
HELPER_IMAGE = PYBASE_TAG

ONLINE_DB_SOURCE = "postgres:16"
ONLINE_APP_BASE = "python:3.12-slim"

RECIPE_LABEL = "chaos.image.recipe"
MODE_LABEL = "chaos.image.mode"  # "offline" | "online"

#: Bump to force a rebuild of every offline image when the build procedure changes.
BUILD_VERSION = "1"

#: Everything from bookworm itself (psycopg 3.1, prometheus-client 0.16), so that an
#: air-gapped mirror of one suite is enough; the app sticks to those APIs for that reason.
PYBASE_PACKAGES = ("python3", "python3-psycopg", "python3-psycopg-pool",
                   "python3-prometheus-client", "iproute2", "procps", "ca-certificates")
PYBASE_EXTRA_SUITES: tuple[str, ...] = ()
DB_PACKAGES = ("postgresql-15", "gosu", "procps", "ca-certificates")
PG_BIN = "/usr/lib/postgresql/15/bin"


# --------------------------------------------------------------------------- paths


def app_context_dir() -> Path:
    """The sample app's build context, shipped inside the package (``chaos/sample``)."""
    from chaos.sample import APP_CONTEXT

    if not (APP_CONTEXT / "Dockerfile").is_file():
        raise LabError(f"the sample app's build context is missing from the package: {APP_CONTEXT}")
    return APP_CONTEXT


def cache_dir() -> Path:
    """``$CHAOS_CACHE_DIR``, else ``$XDG_CACHE_HOME/chaos``, else ``~/.cache/chaos``."""
    return settings.current().cache_root


# --------------------------------------------------------------------------- recipes


def digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:32]


def base_recipe() -> dict[str, Any]:
    return {"suite": SUITE, "variant": VARIANT, "include": sorted(BASE_PACKAGES),
            "build": BUILD_VERSION}


def pybase_changes() -> list[str]:
    return [f"ENV PATH={STD_PATH}", "ENV LANG=C.UTF-8", 'CMD ["python3"]']


def db_changes() -> list[str]:
    return [
        f"ENV PATH={PG_BIN}:{STD_PATH}",
        "ENV LANG=C.UTF-8",
        "ENV PGDATA=/var/lib/postgresql/data",
        "VOLUME /var/lib/postgresql/data",
        "EXPOSE 5432",
        "STOPSIGNAL SIGINT",
        'ENTRYPOINT ["docker-entrypoint.sh"]',
        'CMD ["postgres"]',
    ]


def pybase_recipe() -> str:
    return digest({"image": "pybase", "base": base_recipe(),
                    "packages": sorted(PYBASE_PACKAGES), "extra": PYBASE_EXTRA_SUITES,
                    "changes": pybase_changes()})


def db_offline_recipe() -> str:
    try:
        entrypoint = ENTRYPOINT_SRC.read_bytes()
    except OSError as exc:
        raise LabError(f"the db entrypoint script is missing: {exc}") from None
    return digest({"image": "db", "base": base_recipe(), "packages": sorted(DB_PACKAGES),
                    "changes": db_changes(),
                    "entrypoint": hashlib.sha256(entrypoint).hexdigest()})


def db_online_recipe(source_id: str, source: str = ONLINE_DB_SOURCE) -> str:
    return digest({"image": "db", "from": source, "source_id": source_id})


def app_recipe(base_image_id: str, context: Path | None = None) -> str:
    context = context or app_context_dir()
    files = {}
    for p in sorted(context.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            files[str(p.relative_to(context))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return digest({"image": "app", "files": files, "base_id": base_image_id})
