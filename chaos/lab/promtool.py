"""Alerting and recording rule files checked by ``promtool check rules``.

    for p in check_rules(["rules/db.yml"]):
        print(p)            # rules/db.yml:7: group "db", rule 2, "DbDown": could not parse ...

The host's promtool runs when one is on PATH (``use_host=None``); otherwise the one
in the observability image (:func:`chaos.lab.observeimages.observe_components`), in a
throwaway container: no network, read-only root, no capabilities, the host user's
uid, each file bind-mounted read-only, labelled ``chaos.lab=promtool`` and removed
when promtool returns. Its output becomes :class:`RuleProblem` values
(:mod:`chaos.lab.promtoolparse`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chaos.errors import LabError, Problem
from chaos.lab import labels
from chaos.lab.localimages import engine
from chaos.lab.observeimages import observe_components
from chaos.lab.promtoolparse import RuleProblem, parse_promtool

__all__ = ["RuleProblem", "check_rules", "scenario_rule_problems"]

#: ``chaos.lab`` of the checking container: not a lab id, so no lab's teardown and no
#: fault ever selects it (as ``netem``'s probe).
CHECK_LAB_ID = "promtool"
TIMEOUT = 60


def check_rules(paths: Iterable[str | Path], *, use_host: bool | None = None,
                client: Any = None) -> list[RuleProblem]:
    """Every problem promtool finds in these rule files (``[]``: all valid), plus one per
    file that cannot be read. ``use_host``: True needs promtool on PATH, False always
    uses the image, None prefers the host's. LabError when promtool itself fails."""
    files = [Path(p) for p in paths]
    unreadable = [RuleProblem(p, None, f"cannot read the rule file: {why}")
                  for p in files if (why := _unreadable(p))]
    files = [p for p in files if not _unreadable(p)]
    if not files:
        return unreadable
    host = shutil.which("promtool") if use_host is not False else None
    if use_host and host is None:
        raise LabError("use_host=True, but there is no promtool on PATH")
    if host is not None:
        seen = {str(p): p for p in files}
        code, stderr = _run_host(host, list(seen))
    else:
        seen = {f"/rules/{i}/{p.name}": p for i, p in enumerate(files)}
        code, stderr = _run_in_image(engine(client), seen)
    found = parse_promtool(stderr, seen)
    if code != 0 and not found:
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        raise LabError(f"promtool check rules failed (exit {code}) without naming a "
                       f"problem: {tail or '(no output)'}")
    return unreadable + found


def _unreadable(path: Path) -> str | None:
    try:
        with open(path, "rb"):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def _run_host(promtool: str, args: list[str]) -> tuple[int, str]:
    try:
        proc = subprocess.run([promtool, "check", "rules", *args], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"cannot run {promtool}: {exc}") from None
    return proc.returncode, proc.stderr


def _run_in_image(client: Any, files: dict[str, Path]) -> tuple[int, str]:
    import docker

    tool = observe_components(client)["promtool"]
    mounts = {str(p.resolve()): {"bind": inside, "mode": "ro"} for inside, p in files.items()}
    try:
        c = client.containers.create(
            tool.image, entrypoint=list(tool.argv), command=["check", "rules", *files],
            volumes=mounts, network_mode="none", read_only=True, cap_drop=["ALL"],
            security_opt=["no-new-privileges"], user=f"{os.getuid()}:{os.getgid()}",
            labels={labels.LAB: CHECK_LAB_ID})
    except docker.errors.DockerException as exc:
        raise LabError(f"cannot create the promtool container from {tool.image}: {exc}") from None
    try:
        c.start()
        code = int(c.wait(timeout=TIMEOUT).get("StatusCode", 1))
        return code, c.logs(stdout=False, stderr=True).decode(errors="replace")
    except Exception as exc:   # a hung or failed run: the container still goes
        raise LabError(f"promtool in {tool.image} did not finish: {exc}") from None
    finally:
        try:
            c.remove(force=True)
        except docker.errors.DockerException:
            pass


def scenario_rule_problems(scenario: Any, log: Any = None) -> list[Problem]:
    """promtool's verdict on the scenario's ``observe.prometheus.rule_files``, as
    scenario problems at each rule file's own FILE:LINE (``[]``: none, or no files).
    Builds the observability image first when the host has no promtool and ``log`` is
    given (``chaos run``); LabError when promtool cannot be run at all."""
    prom = scenario.observe.prometheus if scenario.observe else None
    if prom is None or not prom.rule_files:
        return []
    if log is not None and shutil.which("promtool") is None:
        from chaos.lab.observeimages import ensure_observe_image
        ensure_observe_image(log=log)
    return [Problem(str(p.file), p.line, "", f"promtool check rules: {p.message}")
            for p in check_rules(prom.rule_files)]
