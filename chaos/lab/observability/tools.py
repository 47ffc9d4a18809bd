"""One command-line tool of the observability image (``promtool``, ``amtool``), run on
the host when it is on PATH, else in a throwaway container of the image.

    run = run_tool("amtool", [config],
                   lambda f: ["config", "routes", "test", f"--config.file={f[0]}", "a=b"])
    run.code, run.stdout, run.stderr
    run.files            # {each file as the tool was given it: the host's file}

``use_host``: True needs the tool on PATH, False always uses the image, None prefers
the host's. The container (:func:`chaos.lab.images.observeset.observe_components`) has no
network, a read-only root (a small tmpfs on /tmp), no capabilities and the host user's
uid; each file is bind-mounted read-only; it is labelled ``chaos.lab=<tool>`` (not a lab
id, so no lab's teardown and no fault ever selects it, as ``netem``'s probe) and removed
when the tool returns. LabError when the tool cannot be run at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos.errors import LabError
from chaos.lab import labels
from chaos.lab.images.localimages import engine
from chaos.lab.images.observeset import observe_components

TIMEOUT = 60

#: The tool's arguments, given the files as it will see them (same order).
Argv = Callable[[list[str]], list[str]]


@dataclass(frozen=True)
class ToolRun:
    code: int
    stdout: str
    stderr: str
    files: dict[str, Path]   # each file as the tool was given it -> the host's file
    where: str               # the host's binary, or the image it ran in


def run_tool(tool: str, files: Sequence[Path], argv: Argv, *, use_host: bool | None = None,
             client: Any = None, inside: str = "/files") -> ToolRun:
    """``inside``: where the container sees the files (``<inside>/<i>/<name>``)."""
    host = shutil.which(tool) if use_host is not False else None
    if use_host and host is None:
        raise LabError(f"use_host=True, but there is no {tool} on PATH")
    if host is not None:
        seen = {str(p): p for p in files}
        return _run_host(host, argv(list(seen)), seen)
    seen = {f"{inside}/{i}/{p.name}": p for i, p in enumerate(files)}
    return _run_in_image(engine(client), tool, argv(list(seen)), seen)


def _run_host(binary: str, args: list[str], files: dict[str, Path]) -> ToolRun:
    try:
        proc = subprocess.run([binary, *args], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"cannot run {binary}: {exc}") from None
    return ToolRun(proc.returncode, proc.stdout, proc.stderr, files, binary)


def _run_in_image(client: Any, tool: str, args: list[str], files: dict[str, Path]) -> ToolRun:
    import docker

    part = observe_components(client)[tool]
    mounts = {str(p.resolve()): {"bind": inside, "mode": "ro"} for inside, p in files.items()}
    try:
        c = client.containers.create(
            part.image, entrypoint=list(part.argv), command=args, volumes=mounts,
            # `promtool test rules` keeps its series in a temporary directory: /tmp is
            # the one writable place (a small tmpfs, gone with the container).
            network_mode="none", read_only=True, tmpfs={"/tmp": "size=64m"}, cap_drop=["ALL"],
            security_opt=["no-new-privileges"], user=f"{os.getuid()}:{os.getgid()}",
            labels={labels.LAB: tool})
    except docker.errors.DockerException as exc:
        raise LabError(f"cannot create the {tool} container from {part.image}: {exc}") from None
    try:
        c.start()
        code = int(c.wait(timeout=TIMEOUT).get("StatusCode", 1))
        out = c.logs(stdout=True, stderr=False).decode(errors="replace")
        return ToolRun(code, out, c.logs(stdout=False, stderr=True).decode(errors="replace"),
                       files, part.image)
    except Exception as exc:   # a hung or failed run: the container still goes
        raise LabError(f"{tool} in {part.image} did not finish: {exc}") from None
    finally:
        try:
            c.remove(force=True)
        except docker.errors.DockerException:
            pass
