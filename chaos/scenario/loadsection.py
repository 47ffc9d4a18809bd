"""The ``load:`` section: the user's own locustfile, or requests declared in YAML.

    load:                               load:
      users: 20                           users: 20
      locustfile: locustfile.py           requests:
                                            - {method: GET, path: "/items/{int:1:500}"}
                                            - method: POST
                                              path: /items
                                              json: {ref: "{ref}", qty: 1}
                                              write: {ref: client}

Exactly one of the two. A locustfile is checked before any container starts
(it parses, imports, defines a User); templates are parsed here, so a bad
placeholder is a validation error with its line.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from chaos.scenario.base import Strict, custom_error, raise_errors
from chaos.scenario.contextual import ScenarioFile
from chaos.scenario.duration import Duration, parse_duration
from chaos.scenario.template import Template, parse_tree, tree_uses_ref


def _wait_range(value: Any) -> Any:
    """``[0.05, 0.2]`` (min, max think time) or one duration (a fixed wait)."""
    if isinstance(value, list):
        if len(value) != 2:
            raise ValueError("wait range is [min, max], e.g. [0.05, 0.2]")
        low, high = parse_duration(value[0]), parse_duration(value[1])
    else:
        low = high = parse_duration(value)
    if low > high:
        raise ValueError(f"wait range minimum {value[0]!r} is above its maximum {value[1]!r}")
    return (low, high)


def _template(value: str) -> str:
    Template.parse(value)   # ValueError names the placeholder
    return value


TemplateStr = Annotated[str, AfterValidator(_template)]

# What an HTTP/1.1 request can carry (RFC 9110; the load's client refuses the rest when
# it builds the request, so a request written with them would never be sent): a path
# without spaces or control characters, header names that are tokens, header values
# of Latin-1 text without control characters (a tab is allowed).
_PATH_UNSENDABLE = re.compile(r"[\x00-\x20\x7f-\x9f]")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE_UNSENDABLE = re.compile(r"[^\t\x20-\x7e\xa0-\xff]")


def escaped(text: str) -> str:
    """``text`` with line breaks and control characters as escapes, for a message."""
    return text.encode("unicode_escape").decode("ascii")


def _sendable_path(value: str) -> str:
    bad = _PATH_UNSENDABLE.search(value)
    if bad:
        char = bad.group()
        what = "a space" if char == " " else f"'{escaped(char)}'"
        raise ValueError(f"path '{escaped(value)}' holds {what} (character {bad.start() + 1}), "
                         f"which a request line cannot carry; percent-encode it "
                         f"(%{ord(char):02X})")
    return value


def _sendable_value(value: str) -> str:
    # The value is not shown: a header may hold a token.
    bad = _VALUE_UNSENDABLE.search(value)
    if bad:
        raise ValueError(f"header value holds '{escaped(bad.group())}' (character "
                         f"{bad.start() + 1}), which HTTP cannot carry: control characters "
                         "and characters beyond Latin-1 are refused")
    return value


def _header_name(name: str) -> str:
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"header name '{escaped(name)}' is not an HTTP field name: "
                         "letters, digits and !#$%&'*+-.^_`|~ only")
    return name


HeaderName = Annotated[str, AfterValidator(_header_name)]
HeaderValue = Annotated[str, AfterValidator(_sendable_value), AfterValidator(_template)]


def _locustfile(path: Path) -> Path:
    from chaos.scenario.locustfile import check_locustfile

    problem = check_locustfile(path)
    if problem is not None:
        raise ValueError(problem[1])
    return path


class WriteSpec(Strict):
    """Where a declared write's reference comes from."""

    ref: Literal["client", "response"]
    """``client``: a UUID chaos generates, sent where the templates say ``{ref}``;
    ``response``: the JSON ``field`` of a successful answer (the acknowledged id)."""
    field: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _field_fits(self) -> WriteSpec:
        if self.ref == "response" and not self.field:
            raise ValueError("write ref 'response' needs 'field:', the answer's JSON field "
                             "holding the acknowledged id (e.g. field: note.uid)")
        if self.ref == "client" and self.field:
            raise ValueError("'field' is only used with ref 'response'")
        return self


class RequestSpec(Strict):
    """One declared request; its templates are rendered anew for every request sent."""

    name: str | None = Field(None, min_length=1, max_length=200)
    """Locust's request name, for per-endpoint results; default ``METHOD path``."""
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    path: Annotated[TemplateStr, AfterValidator(_sendable_path)]
    headers: dict[HeaderName, HeaderValue] = {}
    json_: Any = Field(None, alias="json")
    weight: int = Field(1, ge=1, le=10_000)
    success: list[Annotated[int, Field(ge=100, le=599)]] | None = Field(None, min_length=1)
    """Statuses that count as success; default any 2xx."""
    write: WriteSpec | None = None

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"path must start with '/', got '{value}'")
        return value

    @field_validator("json_")
    @classmethod
    def _body(cls, value: Any) -> Any:
        parse_tree(value)
        return value

    @model_validator(mode="after")
    def _ref_used(self) -> RequestSpec:
        uses = (Template.parse(self.path).uses_ref or any(Template.parse(v).uses_ref
                for v in self.headers.values()) or tree_uses_ref(parse_tree(self.json_)))
        if self.write is not None and self.write.ref == "client" and not uses:
            raise ValueError("a write with ref 'client' must send its reference: write {ref} "
                             "in the path, a header or the json body")
        if uses and (self.write is None or self.write.ref != "client"):
            raise ValueError("{ref} is the reference of a write with 'write: {ref: client}'")
        return self

    @property
    def label(self) -> str:
        return self.name or f"{self.method} {self.path}"

    def as_locust(self) -> dict[str, Any]:
        """What ``chaos.load.proc.declared`` reads."""
        return {"name": self.label, "method": self.method, "path": self.path,
                "headers": dict(self.headers), "json": self.json_, "weight": self.weight,
                "success": self.success,
                "write": self.write.model_dump() if self.write else None}


def _master_address(value: Any) -> Any:
    """``HOST:PORT`` (or ``HOST`` for a free port): where the Locust master listens."""
    if not isinstance(value, str):
        return value
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = value, "0"
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"master is HOST:PORT, e.g. 10.20.0.1:5557, got '{value}'")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"master's host is an IP address of this machine to listen on, "
                         f"got '{host}'") from None
    return value


class RemoteWorkers(Strict):
    """Locust workers that people start on other hosts (``chaos worker --master``)."""

    master: Annotated[str, AfterValidator(_master_address)] = "127.0.0.1"
    """Where this run's Locust master listens for them: ``HOST:PORT`` (``HOST`` alone: a
    free port). Beyond loopback only when written here, and said in a warning: the
    master protocol has no authentication."""
    workers: list[Annotated[str, Field(min_length=1, max_length=100)]] | Annotated[
        int, Field(ge=1, le=256)]
    """The names they join with (``chaos worker --name``), so that one who does not come
    is named; or how many."""
    app_url: str | None = Field(None, pattern=r"^https?://[^\s/]+")
    """The app as the load hosts reach it (default: the lab's URL on this host)."""
    join_timeout: Duration = 60.0
    on_lost: Literal["continue", "stop"] = "continue"
    """A worker lost mid-trial: the trial goes on with the others, or stops (aborted)."""

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.master.rpartition(":") if ":" in self.master else (
            self.master, "", "0")
        return host, int(port)


class Load(Strict):
    users: int = Field(10, ge=1, le=10_000)
    spawn_rate: float = Field(10.0, gt=0, le=10_000)
    locustfile: Annotated[ScenarioFile, AfterValidator(_locustfile)] | None = None
    """The user's own locustfile, relative to the scenario, run unchanged."""
    requests: list[RequestSpec] | None = Field(None, min_length=1, max_length=200)
    wait: Annotated[tuple[float, float], BeforeValidator(_wait_range)] | None = None
    """Think time between declared requests (a locustfile sets its own wait_time)."""
    request_timeout: Duration = 5.0
    workers: int = Field(0, ge=0, le=64)
    """Locust workers on this host under one master (0: a single Locust process)."""
    remote: RemoteWorkers | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Load:
        errors = []
        if self.locustfile is None and self.requests is None:
            errors.append(custom_error(("locustfile",), "missing", (
                "the load needs a 'locustfile:' (your own, run unchanged) or "
                "'requests:' declared here; chaos does not know your app's endpoints")))
        if self.locustfile is not None and self.requests is not None:
            errors.append(custom_error(("requests",), "conflict",
                                       "give either 'locustfile' or 'requests', not both"))
        if self.remote is not None and self.workers:
            errors.append(custom_error(("remote",), "conflict", (
                "give either 'workers' (on this host) or 'remote' (on other hosts): they "
                "would share one target URL, and remote hosts cannot reach this one's")))
        if self.locustfile is not None and self.wait is not None:
            errors.append(custom_error(("wait",), "unused", (
                "'wait' applies to declared requests; a locustfile sets its own wait_time")))
        raise_errors(type(self).__name__, errors)
        return self
