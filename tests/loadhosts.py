"""Load hosts for tests: Locust workers in containers, each a host with its own address.

    with LoadHosts(docker_client) as hosts:
        master = start_master(bind=hosts.gateway, ...)    # a process on this machine
        hosts.start("w1", hosts.gateway, 5557)
        hosts.start("w2", hosts.gateway, 5557, faketime="+2s", networks=[lab_network])
        hosts.kill("w1")                                  # the host is lost
        print(hosts.logs("w2"))

The hosts share a bridge network of their own; its gateway is this machine's address
on it, where a master started here binds so that the workers reach it. Each worker
runs ``python3 -m locust -f - --worker`` from ``chaos/loadworker:latest`` (the host's own
Locust, :mod:`chaos.lab.images.loadworkerset`), so it fetches the locustfile from the
master. Everything made here carries ``chaos.lab=loadhosts-<random>`` (and the owner's
pid, so ``chaos lab down --stale`` finds what a killed test left); leaving the
``with`` block removes the containers and the network, whatever happened.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable
from typing import Any

from chaos.lab import labels
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.loadworkerset import faketime_env

WORKER_NAME_ENV = "CHAOS_WORKER_NAME"


class LoadHosts:
    """A network of load hosts on this machine's engine (the module's text)."""

    def __init__(self, client: Any, *, image: str | None = None) -> None:
        self.client = client
        self.image = image or ImageNames.from_settings().loadworker
        self.id = f"loadhosts-{secrets.token_hex(4)}"
        self.labels = labels.lab_labels(self.id, os.getpid())
        self.network: Any = None
        self.containers: dict[str, Any] = {}

    # ------------------------------------------------------------------ the network

    def __enter__(self) -> LoadHosts:
        try:
            self.network = self.client.networks.create(self.id, driver="bridge",
                                                       labels=self.labels, check_duplicate=True)
            self.network.reload()
            self.gateway  # noqa: B018 (an IPv4 gateway, or fail here)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def gateway(self) -> str:
        """This machine's address on the load network (where a master binds)."""
        configs = (self.network.attrs.get("IPAM") or {}).get("Config") or []
        for cfg in configs:
            if cfg.get("Gateway") and ":" not in cfg["Gateway"]:
                return str(cfg["Gateway"])
        raise RuntimeError(f"network {self.id} has no IPv4 gateway: {configs}")

    # ------------------------------------------------------------------ the hosts

    def start(self, name: str, master_host: str, master_port: int, *,
              faketime: str | None = None, networks: Iterable[str] = ()) -> Any:
        """A Locust worker host ``name`` joining the master at ``master_host:master_port``;
        ``faketime`` ("+2s") shifts its wall clock; ``networks`` (names or ids) are joined
        too, e.g. a lab's, where the app resolves as ``app``."""
        env = {WORKER_NAME_ENV: name, **(faketime_env(faketime) if faketime else {})}
        argv = ["python3", "-m", "locust", "-f", "-", "--worker",
                "--master-host", master_host, "--master-port", str(master_port)]
        return self.run(name, argv, env=env, networks=networks)

    def run(self, name: str, argv: list[str], *, env: dict[str, str] | None = None,
            networks: Iterable[str] = ()) -> Any:
        """Any command as host ``name`` (an HTTP server for the workers to load, say)."""
        if name in self.containers:
            raise ValueError(f"load host {name!r} already exists")
        container = self.client.containers.create(
            self.image, argv, name=f"{self.id}-{name}", hostname=name, environment=env or {},
            labels=self.labels, network=self.id, init=True)
        self.containers[name] = container
        for net in networks:
            self.client.networks.get(net).connect(container)
        container.start()
        container.reload()
        return container

    def address(self, name: str) -> str:
        """Host ``name``'s address on the load network."""
        container = self.containers[name]
        container.reload()
        return str(container.attrs["NetworkSettings"]["Networks"][self.id]["IPAddress"])

    def serve_http(self, name: str, port: int = 8000, timeout: float = 30.0) -> str:
        """A tiny HTTP server (``python3 -m http.server``) as host ``name``: its URL, once
        it answers from inside its own host."""
        self.run(name, ["python3", "-m", "http.server", str(port), "--directory", "/tmp"])
        probe = ["python3", "-c", "import urllib.request as u; "
                 f"u.urlopen('http://127.0.0.1:{port}/', timeout=2)"]
        deadline = time.monotonic() + timeout
        while self.exec(name, probe)[0] != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}: no HTTP answer in {timeout:.0f} s:\n"
                                   + self.logs(name))
            time.sleep(0.2)
        return f"http://{self.address(name)}:{port}"

    def exec(self, name: str, argv: list[str]) -> tuple[int, str]:
        """Run ``argv`` in host ``name`` (with its environment, faketime included)."""
        result = self.containers[name].exec_run(argv, demux=False)
        return int(result.exit_code), (result.output or b"").decode(errors="replace")

    def kill(self, name: str) -> None:
        """The host is lost: its processes get SIGKILL, nothing is flushed or said."""
        self.containers[name].kill()

    def logs(self, name: str) -> str:
        return str(self.containers[name].logs(stdout=True, stderr=True).decode(errors="replace"))

    # ------------------------------------------------------------------ clean-up

    def close(self) -> None:
        """Remove every container and the network (by our label: what a failed start left
        too); errors are collected and raised after everything was tried."""
        import docker

        problems = []
        flt = {"label": f"{labels.LAB}={self.id}"}
        for container in self.client.containers.list(all=True, filters=flt):
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.DockerException as exc:
                problems.append(f"container {container.name}: {exc}")
        self.containers.clear()
        for network in self.client.networks.list(filters=flt):
            try:
                network.remove()
            except docker.errors.NotFound:
                pass
            except docker.errors.DockerException as exc:
                problems.append(f"network {network.name}: {exc}")
        self.network = None
        if problems:
            raise RuntimeError("load hosts not cleaned up: " + "; ".join(problems))
