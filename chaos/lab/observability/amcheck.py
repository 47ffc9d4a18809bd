"""Alertmanager configurations checked by ``amtool check-config``, before any lab starts.

    for p in config_problems([Path("alerting/alertmanager.yml")]):
        print(p)   # alerting/alertmanager.yml:3: amtool check-config: not a valid duration ...

The scenario's loader checks the file's shape first (YAML, a mapping, a ``route:``;
:func:`chaos.scenario.observesection.alertmanager_shape`); amtool then checks what
only Alertmanager knows (durations, receivers a route names, matchers). Its
findings rarely carry a line: the line is then the first that holds the value the
finding quotes (``undefined receiver "pager"``), else none. amtool runs on the host
when it is on PATH, else in the observability image (:mod:`chaos.lab.observability.tools`).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from chaos.errors import LabError, Problem
from chaos.lab.observability.tools import run_tool

TOOL = "amtool"
_VERDICT = re.compile(r"^Checking '(?P<file>.*)'\s+(?:SUCCESS|FAILED: ?(?P<why>.*))$")
_LINE = re.compile(r"\bline (\d+)\b")
_QUOTED = re.compile(r'"([^"\n]{1,200})"')
MAX_MESSAGE = 400


def check_config(files: list[Path], *, use_host: bool | None = None,
                 client: Any = None) -> list[Problem]:
    """amtool's findings in these configurations (``[]``: valid). LabError when amtool
    cannot be run or fails without naming a file."""
    run = run_tool(TOOL, files, lambda names: ["check-config", *names],
                   use_host=use_host, client=client, inside="/config")
    found = _findings(run.stdout, run.files)
    if run.code != 0 and not found:
        tail = "\n".join((run.stderr + run.stdout).strip().splitlines()[-5:])
        raise LabError(f"amtool check-config failed (exit {run.code}) without naming a "
                       f"problem: {tail or '(no output)'}")
    return found


def _findings(stdout: str, files: dict[str, Path]) -> list[Problem]:
    found: list[Problem] = []
    current: tuple[Path, list[str]] | None = None
    for text in [*stdout.splitlines(), ""]:
        verdict = _VERDICT.match(text)
        if (verdict or not text.strip() or text.startswith("Found:")) and current is not None:
            found.append(_problem(*current))
            current = None
        if verdict and verdict.group("why") is not None:
            file = files.get(verdict.group("file"), Path(verdict.group("file")))
            current = (file, [verdict.group("why").strip()])
        elif current is not None and text.strip():
            current[1].append(text.strip())   # "yaml: unmarshal errors:" continues below
    return found


def _problem(file: Path, parts: list[str]) -> Problem:
    message = " ".join(p for p in parts if p)[:MAX_MESSAGE]
    return Problem(str(file), _line_of(file, message), "", f"amtool check-config: {message}")


def _line_of(file: Path, message: str) -> int | None:
    said = _LINE.search(message)
    if said:
        return int(said.group(1))
    quoted = _QUOTED.search(message)
    if quoted is None:
        return None
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return next((n for n, line in enumerate(lines, 1)
                 if quoted.group(1) in line.split("#", 1)[0]), None)


def config_problems(files: list[Path], log: Any = None) -> list[Problem]:
    """amtool's verdict on a scenario's Alertmanager configuration, as scenario problems
    at the configuration's own FILE:LINE; the ``config_check`` of
    :func:`chaos.scenario.load_scenario`. Builds the observability image first when the
    host has no amtool and ``log`` is given (``chaos run``); LabError when amtool cannot
    be run at all."""
    if log is not None and shutil.which(TOOL) is None:
        from chaos.lab.images.observeset import ensure_observe_image
        ensure_observe_image(log=log)
    return check_config(files)
