"""The command line: parse, call one function, map errors to exit codes.

Exit codes (docs/ci.md): 0 targets met and invariants held, 1 a target missed, an
invariant failed or not measured, or a regression found,
2 invalid input, 3 the lab or the tool itself failed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chaos import __version__, settings
from chaos.cli.lab_group import lab
from chaos.cli.options import ALLOW_OUTSIDE, ALLOW_REMOTE, SET_OPTION
from chaos.cli.output import echo
from chaos.errors import EXIT_TOOL_FAILED, ChaosError
from chaos.redact import redact

if TYPE_CHECKING:
    from chaos.errors import Problem
    from chaos.scenario.loader import RuleCheck


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chaos")
def cli() -> None:
    """chaos: replay database outages and measure time to detect and recover."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@SET_OPTION
@ALLOW_OUTSIDE
def validate(files: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario files; print every problem with FILE:LINE: field."""
    from chaos.errors import ScenarioError, UsageError
    from chaos.scenario import load_scenario

    if any(not f.strip() for f in files):
        raise UsageError("validate: a scenario file name is empty (an unset variable in a "
                         "script?); name the file, e.g. `chaos validate scenarios/db-pause.yaml`")
    problems = []
    for path in files:
        unchecked: list[str] = []
        unchecked_am: list[str] = []
        try:
            scenario = load_scenario(path, overrides=overrides, rule_check=_rule_check(unchecked),
                                     config_check=_config_check(unchecked_am))
            echo(f"{path}: ok ({scenario.name})")
        except ScenarioError as exc:   # the schema's problems and promtool's, together
            problems.extend(exc.problems)
        for why in unchecked:
            echo(f"{path}: note: its rule files' PromQL was not checked ({why})")
        for why in unchecked_am:
            echo(f"{path}: note: its Alertmanager configuration was not checked by amtool "
                 f"({why})")
    if problems:
        raise ScenarioError(problems)


def _rule_check(unchecked: list[str]) -> RuleCheck:
    """promtool on a scenario's rule files (see ``_tool_check``)."""
    from chaos.lab.observability.promtool import rule_file_problems

    return _tool_check(unchecked, rule_file_problems)


def _config_check(unchecked: list[str]) -> RuleCheck:
    """amtool on a scenario's Alertmanager configuration (see ``_tool_check``)."""
    from chaos.lab.observability.amcheck import config_problems

    return _tool_check(unchecked, config_problems)


def _tool_check(unchecked: list[str], problems_of: RuleCheck) -> RuleCheck:
    """``problems_of``, and when the tool cannot run at all (not on the host, no
    observability image), why, in ``unchecked``: validating never builds."""
    from chaos.errors import LabError

    def check(files: list[Path]) -> list[Problem]:
        try:
            return problems_of(files)
        except LabError as exc:
            unchecked.append(str(exc))
            return []
    return check


@cli.command()
@click.argument("file", type=click.Path())
@click.option("--trials", default=1, type=click.IntRange(1, 1000),
              help="Fault-detect-recover cycles.")
@click.option("--out", type=click.Path(), help="Run directory (default reports/<run-id>).")
@click.option("--label", help="A name for this configuration, for `chaos compare`.")
@click.option("--keep-observations", is_flag=True, help="Keep the raw per-request stream.")
@click.option("--keep-lab", is_flag=True, help="Leave the lab up afterwards, for inspection.")
@click.option("--max-duration", help="Time budget for the whole run (e.g. 10m); the trial running "
              "when it is spent ends as aborted and the run exits 1.")
@click.option("--junit", type=click.Path(dir_okay=False), help="Also write JUnit XML here (CI).")
@click.option("--gameday", is_flag=True, help="People recover (recovery trigger manual): mark "
              "what you do on the live page or with `chaos mark`; end the trial there.")
@click.option("--listen", metavar="ADDR:PORT", help="Serve the live page there (e.g. 0.0.0.0:8080) "
              "instead of 127.0.0.1 only: for a team on other machines.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False),
              help="Serve the live page over HTTPS with this certificate (PEM; with --tls-key).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False),
              help="The certificate's private key (PEM).")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="With Prometheus in the lab: "
              "seed of the random phase, after a rule evaluation tick, at which each trial's "
              "first fault lands (default: from the run id; recorded either way).")
@click.option("--fixed-phase", is_flag=True, help="With Prometheus in the lab: every trial's "
              "first fault lands mid-way between two rule evaluation ticks.")
@SET_OPTION
@ALLOW_REMOTE
@ALLOW_OUTSIDE
def run(file: str, trials: int, out: str | None, label: str | None, keep_observations: bool,
        keep_lab: bool, max_duration: str | None, junit: str | None, gameday: bool,
        listen: str | None, tls_cert: str | None, tls_key: str | None,
        seed: int | None, fixed_phase: bool, overrides: tuple[str, ...]) -> int:
    """Run a scenario: lab up, load, fault, detect, recover, measure, report."""
    from chaos.cli.run_commands import run_cmd
    from chaos.errors import UsageError
    from chaos.live import ServeOptions

    if bool(tls_cert) != bool(tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    serve = ServeOptions(listen=listen, tls=(tls_cert, tls_key) if tls_cert and tls_key else None)
    return run_cmd(file, trials=trials, out=out, label=label, keep_observations=keep_observations,
                   keep_lab=keep_lab, max_duration=max_duration, junit=junit, gameday=gameday,
                   overrides=overrides, seed=seed, random_phase=not fixed_phase, serve=serve)


@cli.command()
@click.argument("script", type=click.Path(), required=False)
@click.option("--scenario", required=True, type=click.Path(),
              help="The scenario whose lab, load, invariants and steady state the rehearsal uses.")
@click.option("--recovery", help="After each boundary: rerun (the script from the top; the "
              "default), steps (the scenario's recovery steps) or a SQL file to run (a fixed "
              "script).")
@click.option("--at", help="When, in each trial, the script runs (default 10s).")
@click.option("--hold", help="How long the database stays at each boundary under load "
              "(default 10s).")
@click.option("--settle", help="How long the app has to serve again once the recovery starts "
              "(default 60s; a boundary ends as soon as the app serves again).")
@click.option("--max-error-ratio", help="Fail a boundary whose error ratio is above this "
              "(default: the scenario's steady_state error rate).")
@click.option("--out", type=click.Path(), help="Run directory (default reports/<run-id>).")
@click.option("--junit", type=click.Path(dir_okay=False), help="Also write JUnit XML here: "
              "one test case per boundary.")
@click.option("--keep-observations", is_flag=True, help="Keep the raw per-request stream.")
@SET_OPTION
@ALLOW_OUTSIDE
def rehearse(script: str | None, scenario: str, recovery: str | None, at: str | None,
             hold: str | None, settle: str | None, max_error_ratio: str | None,
             out: str | None, junit: str | None, keep_observations: bool,
             overrides: tuple[str, ...]) -> int:
    """Stop a migration at every statement boundary under load; rerun it; measure.

    SCRIPT, and every option left out, default to the scenario's `rehearse:` section."""
    from chaos.cli.rehearse_command import rehearse_cmd

    return rehearse_cmd(script, scenario, recovery, at, hold, settle, max_error_ratio, out,
                        junit, keep_observations, overrides)


@cli.command()
@click.argument("kind", type=click.Choice(["detected", "mitigated", "recovered", "note",
                                           "diagnosis", "end"]))
@click.option("--note", help="Free text for the timeline (required for `note` and `diagnosis`).")
@click.option("--run", "run_id", help="Which run, when several are going on (id or its start).")
@click.option("--link", help="Your role's link, as the run printed it: mark from any machine "
              "that reaches the page.")
@click.option("--name", help="Who you are on the timeline (default: your user name).")
def mark(kind: str, note: str | None, run_id: str | None, link: str | None,
         name: str | None) -> None:
    """Mark, in the running trial, what people just did: detected, mitigated, recovered,
    a note, a diagnosis, or end (the facilitator ends the trial)."""
    from chaos.live import mark_cmd

    done = mark_cmd(kind, note, run_id, link=link, name=name)
    event = done["event"]
    flag = " (premature: errors continue)" if event.get("premature") else ""
    where = f" in run {done['run']['run_id']}" if done["run"].get("run_id") else ""
    echo(f"marked {kind} at {event.get('wall')}{where} as {event.get('by')} "
         f"({event.get('role')}){flag}")


@cli.command()
@click.argument("scenario", required=False)
@click.option("--reports", type=click.Path(file_okay=False),
              help="Where runs are (default reports/).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def history(scenario: str | None, reports: str | None, fmt: str) -> None:
    """List runs (of SCENARIO: a file or part of its name) with their medians, newest first."""
    from chaos.cli.views import history_cmd

    history_cmd(scenario, reports, fmt)


@cli.command()
@click.argument("base")
@click.argument("candidate")
@click.option("--reports", type=click.Path(file_okay=False),
              help="Where to look up labels (default reports/).")
@click.option("--max-regression", help="Exit 1 only on a significant regression beyond this: "
              "10% (of the base median) or a duration such as 5s. Default: any.")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table")
@click.option("--metric", "metrics", multiple=True, help="Compare only this metric (repeatable).")
def compare(base: str, candidate: str, reports: str | None, max_regression: str | None, fmt: str,
            metrics: tuple[str, ...]) -> int:
    """Compare two runs (directories or --label names): medians, CI, Mann-Whitney U, verdict."""
    from chaos.cli.views import compare_cmd

    return compare_cmd(base, candidate, reports, max_regression, fmt, metrics)


@cli.command()
@click.argument("run_dir", type=click.Path())
def report(run_dir: str) -> None:
    """Re-render every report of a run from result.json + timeline.jsonl."""
    from chaos.report import render_all

    for path in render_all(run_dir):
        echo(f"wrote {path}")


@cli.command()
@click.argument("dest", type=click.Path(file_okay=False))
def example(dest: str) -> None:
    """Write the sample system (a shop: compose file, app, locustfile) and its scenarios
    into DEST, to run as they are or to copy from when plugging in your own app."""
    from chaos.cli.run_commands import example_cmd

    example_cmd(dest)


@cli.command()
@click.option("--master", "master", required=True, metavar="HOST:PORT",
              help="The run's Locust master (the scenario's load.remote.master).")
@click.option("--name", help="This load host's name in the record, as the scenario's "
              "load.remote.workers lists it (default: the host name).")
def worker(master: str, name: str | None) -> None:
    """Join a run as a load host: a Locust worker that fetches the load from the master."""
    from chaos.cli.worker_command import worker_cmd

    worker_cmd(master, name)


@cli.command(name="list")
def list_parts() -> None:
    """List the fault, detector and recovery-step types scenarios may use."""
    from chaos.cli.catalog import print_catalog

    print_catalog()


cli.add_command(lab)


def main(argv: list[str] | None = None) -> None:
    settings.load()   # once, before the flags change it: the environment is not read again
    try:
        rc = cli.main(args=argv, prog_name="chaos", standalone_mode=False)
    except click.exceptions.Abort:
        echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ChaosError as exc:
        text = redact(exc)
        echo(f"chaos: {text}" if "\n" not in text else text, err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug of ours: say so plainly, exit 3, keep the trace short
        echo(f"chaos: internal error: {type(exc).__name__}: {redact(exc)}", err=True)
        sys.exit(EXIT_TOOL_FAILED)
    sys.exit(rc if isinstance(rc, int) else 0)
