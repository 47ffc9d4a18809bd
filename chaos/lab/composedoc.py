"""Reading a compose document: which services it builds, which images it names."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any


def built_services(doc: dict[str, Any]) -> list[str]:
    """Services of a compose document that compose builds (``build:``)."""
    services = doc.get("services") or {}
    return [n for n, svc in services.items() if isinstance(svc, dict) and "build" in svc]


def build_image_name(compose_file: str, service: str) -> str:
    digest = hashlib.sha256(str(Path(compose_file).resolve()).encode()).hexdigest()[:12]
    clean = re.sub(r"[^a-z0-9_.-]+", "-", service.lower()).strip("-._") or "service"
    return f"chaos-build/{clean}-{digest}:latest"


def image_refs(doc: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    """The ``image:`` of every service, with ``${VAR}`` / ``${VAR:-default}`` filled in
    from ``env`` as compose would."""
    env = dict(os.environ) if env is None else env

    def fill(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(3)
        value = env.get(name)
        return value if value else (default or "")

    refs = []
    for svc in (doc.get("services") or {}).values():
        image = svc.get("image") if isinstance(svc, dict) else None
        if isinstance(image, str):
            refs.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-([^}]*))?\}", fill, image))
    return refs
