"""`chaos list`: every fault, detector and recovery-step type, from the registries."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from chaos.cli.output import echo
from chaos.partregistry import Registry, detectors, faults, steps


def describe_params(model: type[BaseModel]) -> str:
    parts = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        parts.append(key if field.is_required() else f"{key}={field.default!r}")
    return ", ".join(parts)


def print_catalog() -> None:
    section: Registry[Any]
    for section in (faults, detectors, steps):
        echo(f"{section.kind}s:")
        for name, cls in section.items():
            doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
            echo(f"  {name:<22} {doc}")
            params = describe_params(cls.Params)
            if params:
                echo(f"  {'':<22}   params: {params}")
        echo("")
