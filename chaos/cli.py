"""The command line: parse, call one function, map errors to exit codes.

Exit codes (DESIGN.md): 0 targets met, 1 targets missed or regression found,
2 invalid input, 3 the lab or the tool itself failed.
"""

from __future__ import annotations

import sys

import click

from chaos import __version__
from chaos.errors import EXIT_TOOL_FAILED, ChaosError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chaos")
def cli() -> None:
    """chaos: replay database outages and measure time to detect and recover."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
def validate(files: tuple[str, ...]) -> None:
    """Check scenario files; print every problem with FILE:LINE: field."""
    from chaos.scenario import validate_files

    validate_files(list(files))


@cli.command()
@click.argument("file", type=click.Path())
@click.option("--trials", default=1, type=click.IntRange(1, 1000), help="Fault-detect-recover cycles.")
@click.option("--out", type=click.Path(), help="Run directory (default reports/<run-id>).")
@click.option("--label", help="A name for this configuration, for `chaos compare`.")
@click.option("--keep-observations", is_flag=True, help="Keep the raw per-request stream.")
@click.option("--keep-lab", is_flag=True, help="Leave the lab up afterwards, for inspection.")
def run(file: str, trials: int, out: str | None, label: str | None, keep_observations: bool,
        keep_lab: bool) -> int:
    """Run a scenario: lab up, load, fault, detect, recover, measure, report."""
    from chaos.commands import run_cmd

    return run_cmd(file, trials=trials, out=out, label=label, keep_observations=keep_observations,
                   keep_lab=keep_lab)


@cli.command()
@click.argument("run_dir", type=click.Path())
def report(run_dir: str) -> None:
    """Re-render every report of a run from result.json + timeline.jsonl."""
    from chaos.report import render_all

    for path in render_all(run_dir):
        click.echo(f"wrote {path}")


@cli.command(name="list")
def list_parts() -> None:
    """List the fault, detector and recovery-step types scenarios may use."""
    from chaos.catalog import print_catalog

    print_catalog()


@cli.group()
def lab() -> None:
    """Bring the lab up, tear it down, show it, build its images."""


@lab.command()
@click.option("--offline", is_flag=True, help="Build from Debian packages; never pull.")
@click.option("--online", is_flag=True, help="Pull base images; fail rather than fall back.")
@click.option("--mirror", help="Debian mirror URL for offline builds (default: the host's apt sources).")
@click.option("--force", is_flag=True, help="Rebuild even if images are up to date.")
def build(offline: bool, online: bool, mirror: str | None, force: bool) -> None:
    """Build the lab images (offline from Debian packages when no registry)."""
    from chaos.lab.commands import build_images_cmd

    build_images_cmd(offline=True if offline else (False if online else None), mirror=mirror, force=force)


@lab.command()
@click.option("--scenario", "scenario_file", type=click.Path(), help="Use this scenario's lab section.")
def up(scenario_file: str | None) -> None:
    """Start a lab that stays up until `chaos lab down`."""
    from chaos.lab.commands import lab_up

    lab_up(scenario_file)


@lab.command()
@click.argument("lab_ids", nargs=-1)
@click.option("--all", "all_labs", is_flag=True, help="Every chaos lab on this engine.")
@click.option("--stale", is_flag=True, help="Labs whose owning process is gone.")
def down(lab_ids: tuple[str, ...], all_labs: bool, stale: bool) -> None:
    """Tear labs down: every container, network and volume labelled with their id."""
    from chaos.lab.commands import lab_down

    lab_down(list(lab_ids), all_labs=all_labs, stale=stale)


@lab.command()
def status() -> None:
    """Show running labs: services, health, published URLs."""
    from chaos.lab.commands import lab_status

    lab_status()


def main() -> None:
    try:
        rc = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ChaosError as exc:
        click.echo(f"chaos: {exc}" if "\n" not in str(exc) else str(exc), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug of ours: say so plainly, exit 3, keep the trace short
        click.echo(f"chaos: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_TOOL_FAILED)
    sys.exit(rc if isinstance(rc, int) else 0)
