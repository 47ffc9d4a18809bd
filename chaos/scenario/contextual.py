"""Types whose validity depends on where the scenario lives and what its lab holds.

The loader passes a validation context, ``{"base_dir": Path, "services": set | None,
"time_limit": float | None}``; without one (a model built in code) relative paths
resolve against the working directory and service names are not checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

from chaos.scenario.base import suggest


def _ctx(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


def base_dir(info: ValidationInfo) -> Path:
    return Path(_ctx(info).get("base_dir") or Path.cwd())


def _existing_file(value: Path, info: ValidationInfo) -> Path:
    try:
        path = (base_dir(info) / value).resolve()
        found = path.is_file()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        raise ValueError(f"cannot use path {str(value)[:80]!r}: {exc}") from None
    if not found:
        where = "" if value.is_absolute() else f" (relative to {base_dir(info)})"
        raise ValueError(f"file not found: {value}{where}")
    return path


def _known_service(value: str, info: ValidationInfo) -> str:
    services = _ctx(info).get("services")
    if services is not None and value not in services:
        hint = suggest(value, services)
        raise ValueError(f"no service '{value}' in the lab's compose file{hint}")
    return value


# A file next to the scenario (``faults/reprice.sql``); holds the resolved absolute path.
ScenarioFile = Annotated[Path, AfterValidator(_existing_file)]
# A service of the lab's compose file (``db``).
ServiceName = Annotated[str, AfterValidator(_known_service)]
