"""`chaos compare` and `chaos history`: print what compare/ and history compute."""

from __future__ import annotations

import json
from pathlib import Path

from chaos.cli.output import echo
from chaos.compare import ALL_METRICS, Gate, compare, render, resolve
from chaos.errors import EXIT_OK, EXIT_TARGETS_MISSED, UsageError
from chaos.history import DEFAULT_REPORTS, as_rows, history, render_table


def compare_cmd(base: str, candidate: str, reports: str | None, max_regression: str | None,
                fmt: str, metrics: tuple[str, ...]) -> int:
    unknown = [m for m in metrics if m not in ALL_METRICS]
    if unknown:
        raise UsageError(f"unknown metric {', '.join(unknown)}; "
                         f"choose from {', '.join(ALL_METRICS)}")
    gate = Gate.parse(max_regression)
    where = Path(reports) if reports else DEFAULT_REPORTS
    cmp = compare(resolve(base, where), resolve(candidate, where), gate, metrics or None)
    out = {"json": render.render_json,
           "markdown": render.render_markdown}.get(fmt, render.render_text)
    echo(out(cmp))
    # Not only "no regression": a gate that saw nothing (no completed trial, a metric
    # never measured on one side) fails too.
    return EXIT_OK if cmp.passed else EXIT_TARGETS_MISSED


def history_cmd(scenario: str | None, reports: str | None, fmt: str) -> None:
    runs, skipped = history(scenario, Path(reports) if reports else DEFAULT_REPORTS)
    rows = as_rows(runs)
    if fmt == "json":
        echo(json.dumps({"runs": rows, "skipped": skipped}, indent=2))
    elif rows:
        echo(render_table(rows))
        echo("medians in seconds (ttd, ttr) and writes (lost); `chaos compare A B` for more")
    else:
        echo("no runs" + (f" of {scenario!r}" if scenario else ""))
    for why in skipped:
        echo(f"skipped {why}", err=True)
