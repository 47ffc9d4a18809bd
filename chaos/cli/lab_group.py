"""``chaos lab ...``: bring a lab up, tear labs down, show them, build the images.

The commands import their bodies (``chaos.cli.lab_commands``) when they run, so that
``chaos --help`` does not load Docker's client."""

from __future__ import annotations

import click

from chaos.cli.options import ALLOW_OUTSIDE, ALLOW_REMOTE


@click.group()
def lab() -> None:
    """Bring the lab up, tear it down, show it, build its images."""


@lab.command()
@click.option("--offline", is_flag=True, help="Build from Debian packages; never pull.")
@click.option("--online", is_flag=True, help="Pull base images; fail rather than fall back.")
@click.option("--mirror",
              help="Debian mirror URL for offline builds (default: the host's apt sources).")
@click.option("--force", is_flag=True, help="Rebuild even if images are up to date.")
@click.option("--observe", is_flag=True,
              help="Also build the observability image (Prometheus, Alertmanager, exporter).")
@click.option("--loadworker", is_flag=True,
              help="Also build the load-worker image (the host's Locust on Debian, offline).")
@click.option("--needs", is_flag=True,
              help="Build nothing: print the host tools the build would need and lacks "
                   "(root, debootstrap), one a line; none when the images are here or a "
                   "registry serves them.")
def build(offline: bool, online: bool, mirror: str | None, force: bool, observe: bool,
          loadworker: bool, needs: bool) -> None:
    """Build the lab images (offline from Debian packages when no registry)."""
    from chaos.cli.lab_commands import build_images_cmd, build_needs_cmd

    if needs:
        build_needs_cmd(observe=observe)
        return
    build_images_cmd(offline=True if offline else (False if online else None), mirror=mirror,
                     force=force, observe=observe, loadworker=loadworker)


@lab.command()
@click.option("--scenario", "scenario_file", type=click.Path(),
              help="Use this scenario's lab section.")
@ALLOW_REMOTE
@ALLOW_OUTSIDE
def up(scenario_file: str | None) -> None:
    """Start a lab that stays up until `chaos lab down`."""
    from chaos.cli.lab_commands import lab_up

    lab_up(scenario_file)


@lab.command()
@click.argument("lab_ids", nargs=-1)
@click.option("--all", "all_labs", is_flag=True, help="Every chaos lab on this engine.")
@click.option("--stale", is_flag=True, help="Labs whose owning process is gone.")
def down(lab_ids: tuple[str, ...], all_labs: bool, stale: bool) -> None:
    """Tear labs down: every container, network and volume labelled with their id."""
    from chaos.cli.lab_commands import lab_down

    lab_down(list(lab_ids), all_labs=all_labs, stale=stale)


@lab.command()
def status() -> None:
    """Show running labs: services, health, published URLs."""
    from chaos.cli.lab_commands import lab_status

    lab_status()
