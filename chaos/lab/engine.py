"""The Docker engine connection, shared by everything in `chaos.lab`.

Blast radius: chaos only talks to the engine on this machine. ``DOCKER_HOST``
pointing elsewhere (``ssh://``, a ``tcp://`` host that is not loopback) or a
non-default ``DOCKER_CONTEXT`` (which compose would follow) is refused unless
the user says so: ``chaos run --allow-remote``, ``chaos lab up --allow-remote``,
or ``CHAOS_ALLOW_REMOTE=1`` for every command (the setting ``allow_remote``,
``chaos.settings``). ``DOCKER_HOST`` and ``DOCKER_CONTEXT`` are Docker's own
variables, read where the engine is chosen, as compose reads them.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import docker
from docker.errors import DockerException

from chaos import settings
from chaos.errors import LabError, UsageError

ALLOW_ENV = "CHAOS_ALLOW_REMOTE"
_LOCAL_SCHEMES = ("unix", "npipe")
_LOCAL_NAMES = ("localhost", "ip6-localhost")


def remote_engine(env: Mapping[str, str]) -> str | None:
    """What makes ``env`` point at an engine on another machine, or None if it is local."""
    context = env.get("DOCKER_CONTEXT", "").strip()
    if context and context != "default":
        return f"DOCKER_CONTEXT={context} (contexts may point anywhere)"
    host = env.get("DOCKER_HOST", "").strip()
    if not host:
        return None
    try:
        url = urlsplit(host if "://" in host else f"tcp://{host}")
        name = (url.hostname or "").lower()
    except ValueError as exc:   # e.g. tcp://[::1 (an unclosed IPv6 bracket)
        raise UsageError(f"DOCKER_HOST={host!r} is not a valid address ({exc})") from None
    if url.scheme in _LOCAL_SCHEMES:
        return None
    if name in _LOCAL_NAMES:
        return None
    try:
        if ipaddress.ip_address(name).is_loopback:
            return None
    except ValueError:
        pass  # a name, not an address: not known to be this machine
    return f"DOCKER_HOST={host}"


def check_local(env: Mapping[str, str] | None = None, allow: bool | None = None) -> None:
    """Refuse the engine ``env`` names (default: this process's) when it may be another
    machine's, unless ``allow`` (default: the ``allow_remote`` setting)."""
    env = os.environ if env is None else env
    allow = settings.current().allow_remote if allow is None else allow
    where = remote_engine(env)
    if where and not allow:
        raise UsageError(
            f"refusing to use a Docker engine that may not be this machine's ({where}): "
            "chaos kills, pauses and removes containers there. Pass --allow-remote "
            f"(or set {ALLOW_ENV}=1) if that is really what you want")


@functools.cache
def client() -> docker.DockerClient:
    check_local()
    try:
        c = docker.from_env(timeout=120)
        c.ping()
    except DockerException as exc:
        raise LabError(
            f"cannot reach the Docker engine ({exc}); is the daemon running and DOCKER_HOST right?"
        ) from exc
    return c
