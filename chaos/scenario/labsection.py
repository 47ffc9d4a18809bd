"""The scenario's ``lab:`` section: the system under test's compose file and its options.

Each option here is a part of the lab that a fault or a recovery step may need
(WAL archiving for ``restore_pitr``, a replica for ``failover``); docs/scenarios.md.
"""

from __future__ import annotations

import math
import shlex
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from chaos.scenario.base import Strict, custom_error, raise_errors
from chaos.scenario.contextual import ServiceName
from chaos.scenario.duration import Duration


def postgres_argv(command: Any) -> list[str] | None:
    """A compose service's ``command:`` as an argv that starts postgres, ready for more
    ``-c`` options (none: ``["postgres"]``), or None when it starts something else (a
    wrapper script: chaos cannot add server options to it)."""
    if command is None:
        return ["postgres"]
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    return argv if argv and (argv[0] == "postgres" or argv[0].startswith("-")) else None


EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=200)]


class WalArchiveSection(Strict):
    """``lab.wal_archive``: archive every WAL segment, for ``restore_pitr`` (docs/scenarios.md)."""

    archive_timeout: Duration = 1.0
    """Force a segment switch this often (whole seconds, rounded up)."""

    @property
    def timeout_s(self) -> int:
        return max(1, math.ceil(self.archive_timeout))


class ReplicaSection(Strict):
    """``lab.replica``: a streaming replica of the db, for ``failover`` (docs/scenarios.md)."""

    synchronous: bool = False
    """Commits wait until the replica has them (the primary's ``synchronous_standby_names``)."""


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
    wal_archive: WalArchiveSection | None = None
    """WAL archiving in the db service and a base backup at each trial's start (PITR)."""
    replica: ReplicaSection | None = None
    """A hot-standby streaming replica of the db service, initialised by pg_basebackup."""
    db_env: dict[EnvName, str | int | float] = Field({}, max_length=100)
    """Added to the db service's environment, e.g. a seed-size variable its init reads."""

    @field_validator("wal_archive", "replica", mode="before")
    @classmethod
    def _section_flag(cls, value: Any) -> Any:
        # `wal_archive: true` is the section with its defaults; `false` is no section.
        if isinstance(value, bool):
            return {} if value else None
        return value

    @model_validator(mode="after")
    def _db_takes_server_options(self, info: ValidationInfo) -> LabSection:
        """WAL archiving and the replica add ``-c`` options to the db service's command:
        said here, at validation, rather than when the lab starts."""
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
            for key in ("wal_archive", "replica") if getattr(self, key) is not None])
        return self
