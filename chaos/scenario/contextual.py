"""Types whose validity depends on where the scenario lives and what its lab holds.

The loader passes a validation context, ``{"base_dir": Path, "services": set | None,
"compose_services": dict | None (each service's mapping), "time_limit": float | None,
"allowed_roots": tuple[Path, ...] | None}``; without
one (a model built in code) relative paths resolve against the working directory,
service names are not checked and files may lie anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

from chaos.scenario.base import suggest
from chaos.userfiles import BadFile, check_inside, read_text, resolve


def _ctx(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


def base_dir(info: ValidationInfo) -> Path:
    return Path(_ctx(info).get("base_dir") or Path.cwd())


# SQL scripts and locustfiles are text a person wrote; 5 MB is far beyond one.
MAX_FILE_BYTES = 5_000_000


def existing_file(value: Path, info: ValidationInfo) -> Path:
    try:
        path = resolve(base_dir(info) / value)
        check_inside(path, _ctx(info).get("allowed_roots"))
        text = read_text(path, MAX_FILE_BYTES)
    except BadFile as exc:
        if exc.message == "file not found":
            where = "" if value.is_absolute() else f" (relative to {base_dir(info)})"
            raise ValueError(f"file not found: {value}{where}") from None
        at = f" (line {exc.line})" if exc.line else ""
        raise ValueError(f"{value}: {exc.message}{at}") from None
    if not text.strip():
        raise ValueError(f"{value}: the file is empty")
    return path


def _known_service(value: str, info: ValidationInfo) -> str:
    services = _ctx(info).get("services")
    if services is not None and value not in services:
        hint = suggest(value, services)
        raise ValueError(f"no service '{value}' in the lab's compose file{hint}")
    return value


# A file next to the scenario (``faults/reprice.sql``); holds the resolved absolute path.
ScenarioFile = Annotated[Path, AfterValidator(existing_file)]
# A service of the lab's compose file (``db``).
ServiceName = Annotated[str, AfterValidator(_known_service)]
