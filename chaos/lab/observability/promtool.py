"""Alerting and recording rule files checked by ``promtool check rules``.

    for p in check_rules(["rules/db.yml"]):
        print(p)            # rules/db.yml:7: group "db", rule 2, "DbDown": could not parse ...

The host's promtool runs when one is on PATH (``use_host=None``); otherwise the one
in the observability image, in a throwaway container labelled ``chaos.lab=promtool``
(:mod:`chaos.lab.observability.tools`). Its output becomes :class:`RuleProblem` values
(:mod:`chaos.lab.observability.promtoolparse`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chaos.errors import LabError, Problem
from chaos.lab.observability.promtoolparse import RuleProblem, parse_promtool
from chaos.lab.observability.tools import run_tool

__all__ = ["RuleProblem", "check_rules", "rule_file_problems"]

#: ``chaos.lab`` of the checking container: not a lab id, so no lab's teardown and no
#: fault ever selects it (as ``netem``'s probe).
CHECK_LAB_ID = "promtool"


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
    run = run_tool(CHECK_LAB_ID, files, lambda names: ["check", "rules", *names],
                   use_host=use_host, client=client, inside="/rules")
    found = parse_promtool(run.stderr, run.files)
    if run.code != 0 and not found:
        tail = "\n".join(run.stderr.strip().splitlines()[-5:])
        raise LabError(f"promtool check rules failed (exit {run.code}) without naming a "
                       f"problem: {tail or '(no output)'}")
    return unreadable + found


def _unreadable(path: Path) -> str | None:
    try:
        with open(path, "rb"):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def rule_file_problems(files: list[Path], log: Any = None) -> list[Problem]:
    """promtool's verdict on a scenario's rule files, as scenario problems at each rule
    file's own FILE:LINE (``[]``: none); the ``rule_check`` of
    :func:`chaos.scenario.load_scenario`. Builds the observability image first when the
    host has no promtool and ``log`` is given (``chaos run``); LabError when promtool
    cannot be run at all."""
    if log is not None and shutil.which("promtool") is None:
        from chaos.lab.images.observeset import ensure_observe_image
        ensure_observe_image(log=log)
    return [Problem(str(p.file), p.line, "", f"promtool check rules: {p.message}")
            for p in check_rules(files)]
