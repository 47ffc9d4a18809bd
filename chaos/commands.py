"""What `chaos run` does around the run itself: reports, the exit code."""

from __future__ import annotations

from pathlib import Path

import click

from chaos.errors import EXIT_OK, EXIT_TARGETS_MISSED


def run_cmd(file: str, trials: int, out: str | None, label: str | None,
            keep_observations: bool, keep_lab: bool) -> int:
    from chaos.run import RunOptions, run_scenario

    opts = RunOptions(trials=trials, out=Path(out) if out else None, label=label,
                      keep_observations=keep_observations, keep_lab=keep_lab, log=click.echo)
    record = run_scenario(file, opts)
    for t in record["targets"]:
        mark = "PASS" if t["passed"] else "FAIL"
        click.echo(f"  {mark} {t['metric']:<16} observed {t['observed']!s:<10} limit {t['limit']}")
    click.echo("targets met" if record["passed"] else "targets missed")
    return EXIT_OK if record["passed"] else EXIT_TARGETS_MISSED
