"""The Docker engine connection, shared by everything in `chaos.lab`."""

from __future__ import annotations

import functools

import docker
from docker.errors import DockerException

from chaos.errors import LabError


@functools.cache
def client() -> docker.DockerClient:
    try:
        c = docker.from_env(timeout=120)
        c.ping()
    except DockerException as exc:
        raise LabError(
            f"cannot reach the Docker engine ({exc}); is the daemon running and DOCKER_HOST right?"
        ) from exc
    return c
