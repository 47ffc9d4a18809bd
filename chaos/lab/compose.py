"""The one adapter around the docker compose command line.

Both compose v2 (`docker compose`) and the legacy v1 (`docker-compose`) are
supported: v1 is what Debian ships, and it has no `up --wait`, so readiness is
judged by ``chaos.lab.resources.wait_healthy`` from container health states, for both.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chaos.errors import LabError


@functools.cache
def compose_command() -> tuple[str, ...]:
    """The argv prefix that runs compose here; v2 preferred."""
    candidates: list[tuple[str, ...]] = []
    if shutil.which("docker"):
        candidates.append(("docker", "compose"))
    if shutil.which("docker-compose"):
        candidates.append(("docker-compose",))
    for argv in candidates:
        if argv == ("docker-compose",):
            # The legacy binary is a Python program: `version` alone costs ~1.5 s
            # on every chaos command. Being on PATH is enough; a broken install
            # fails on its first real call, with its own message (LabError).
            return argv
        try:
            done = subprocess.run([*argv, "version"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return argv
    raise LabError(
        "no docker compose found: install the compose plugin (`docker compose`) "
        "or the standalone `docker-compose`"
    )


@dataclass
class Compose:
    project: str
    files: list[Path]
    env: dict[str, str] = field(default_factory=dict)

    def _run(self, *args: str, timeout: float = 600) -> str:
        argv = [*compose_command(), "-p", self.project]
        for f in self.files:
            argv += ["-f", str(f)]
        argv += list(args)
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, env=self.env or None
            )
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"`{' '.join(args)}` on {self.project} "
                           f"took over {timeout:.0f} s") from exc
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise LabError(f"docker compose {' '.join(args)} failed for {self.project}:\n{tail}")
        return done.stdout

    def build(self, services: list[str], log: Callable[[str], object],
              timeout: float = 1800) -> None:
        """``compose build``, its output streamed to ``log`` (Docker caches the layers:
        an unchanged app builds in a second or two)."""
        argv = [*compose_command(), "-p", self.project]
        for f in self.files:
            argv += ["-f", str(f)]
        argv += ["build", *services]
        tail: list[str] = []
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, env=self.env or None)
        except OSError as exc:
            raise LabError(f"docker compose build could not start: {exc}") from None
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            if line:
                tail = (tail + [line])[-15:]
                log(f"  build: {line[:200]}")
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise LabError(f"building {', '.join(services)} took over {timeout:.0f} s") from None
        if code != 0:
            raise LabError(f"docker compose build {' '.join(services)} failed for "
                           f"{self.project}:\n" + "\n".join(tail))

    def up(self, services: list[str] | None = None) -> None:
        """Start the project; with ``services``, only those (their dependencies left alone)."""
        extra = ["--no-deps", *services] if services else []
        self._run("up", "-d", "--no-build", *extra, timeout=600)

    def down(self) -> None:
        self._run("down", "-v", "--remove-orphans", "--timeout", "5", timeout=300)
