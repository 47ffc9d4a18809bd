"""The scenario's ``lab:`` section: the system under test's compose file and its options.

Besides these fields, the section takes the keys of the lab features a user turns on
(``wal_archive`` for ``restore_pitr``, ``replica`` for ``failover``): each feature
declares its key and settings model (``chaos.scenario.laboptions``), kept here by key
in ``options``; docs/scenarios.md.
"""

from __future__ import annotations

import shlex
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    Field,
    SerializeAsAny,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from chaos.scenario.base import Strict, custom_error, known_fields, raise_errors, reraise
from chaos.scenario.contextual import ServiceName
from chaos.scenario.laboptions import lab_options

M = TypeVar("M", bound=BaseModel)


def postgres_argv(command: Any) -> list[str] | None:
    """A compose service's ``command:`` as an argv that starts postgres, ready for more
    ``-c`` options (none: ``["postgres"]``), or None when it starts something else (a
    wrapper script: chaos cannot add server options to it)."""
    if command is None:
        return ["postgres"]
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    return argv if argv and (argv[0] == "postgres" or argv[0].startswith("-")) else None


EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=200)]


class LabSection(Strict):
    compose: str = Field(min_length=1)
    """The system under test's compose file, relative to the scenario."""
    # validate_default: a name left at its default must name a service as much as one
    # written out (the loader says the default was used).
    app: ServiceName = Field("app", validate_default=True)
    db: ServiceName = Field("db", validate_default=True)
    app_port: int = Field(8080, ge=1, le=65535)
    """The app's port inside its container (published by the compose file)."""
    db_port: int = Field(5432, ge=1, le=65535)
    """The database's port inside its container."""
    health_path: str | None = Field(None, pattern=r"^/[^\s]*$", max_length=2000)
    """A path of the app that answers 2xx when healthy; used to settle between trials."""
    db_user: str = "chaos"
    db_password: str = "chaos"
    db_name: str = "app"
    db_env: dict[EnvName, str | int | float] = Field({}, max_length=100)
    """Added to the db service's environment, e.g. a seed-size variable its init reads."""

    options: dict[str, SerializeAsAny[BaseModel]] = {}
    """The lab features' own keys that are on (``wal_archive``, ``replica``...), by key,
    each validated by its feature's model (``chaos.scenario.laboptions``)."""

    def option(self, model: type[M]) -> M | None:
        """The settings of the feature option with that model, or None when it is off."""
        return next((o for o in self.options.values() if isinstance(o, model)), None)

    @classmethod
    def _known_keys(cls, data: Any) -> list[str]:
        return [k for k in known_fields(cls) if k != "options"] + lab_options.keys()

    @classmethod
    def _validate_parts(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        """The features' keys are validated by their own models; ``options`` is not a key
        a scenario writes (it is refused as unknown)."""
        if not isinstance(data, dict):
            return handler(data)
        errors: list[Any] = []
        options: dict[str, BaseModel] = {}
        rest: dict[str, Any] = {}
        for key, value in data.items():
            option = lab_options.get(key) if isinstance(key, str) else None
            if key == "options":
                errors.append(custom_error((key,), "unknown_field", "unknown field 'options'"))
            elif option is None:
                rest[key] = value
            elif value is not False and value is not None:
                try:   # `key: true` is the option with its defaults
                    options[key] = option.model.model_validate(
                        {} if value is True else value, context=info.context)
                except ValidationError as exc:
                    errors.extend(reraise(exc.errors(), (key,)))
        obj = None
        try:
            obj = handler({**rest, "options": options})
        except ValidationError as exc:
            errors[:0] = reraise(exc.errors())
        raise_errors(cls.__name__, errors)
        return obj

    @model_validator(mode="after")
    def _db_takes_server_options(self, info: ValidationInfo) -> LabSection:
        """Options such as WAL archiving and the replica add ``-c`` options to the db
        service's command: said here, at validation, rather than when the lab starts."""
        services = info.context.get("compose_services") if isinstance(info.context, dict) else None
        service = services.get(self.db) if isinstance(services, dict) else None
        if not isinstance(service, dict):
            return self
        command = service.get("command")
        if not isinstance(command, (str, list)) or postgres_argv(command) is not None:
            return self   # no command starts postgres; another type is compose's to refuse
        shown = command if isinstance(command, str) else " ".join(map(str, command))
        raise_errors(type(self).__name__, [custom_error((key,), "db_command", (
            f"service '{self.db}' has the command {shown!r}, which does not start postgres, "
            f"so chaos cannot add the server options {key} needs to it; give it "
            "`command: postgres ...` or leave the command out"))
            for key in self.options if _adds_server_options(key)])
        return self


def _adds_server_options(key: str) -> bool:
    option = lab_options.get(key)
    return option is not None and option.server_options
