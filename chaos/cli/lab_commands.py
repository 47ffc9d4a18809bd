"""`chaos lab build|up|down|status`: print what the lab package does."""

from __future__ import annotations

import time

import click

from chaos.errors import LabError, UsageError
from chaos.lab.lab import Lab, LabSpec, list_resources, running_labs, stale_labs
from chaos.lab.start import spec_for, start_lab
from chaos.redact import redact
from chaos.signals import shielded


def build_images_cmd(offline: bool | None, mirror: str | None, force: bool) -> None:
    from chaos.lab.images import build_images

    t0 = time.monotonic()
    infos = build_images(offline=offline, mirror=mirror, force=force, log=click.echo)
    for info in infos:
        state = f"built in {info.seconds:.1f} s" if info.built else "up to date"
        click.echo(f"{info.tag:28} {info.size_bytes / 1e6:8.1f} MB  {state}")
    click.echo(f"images ready in {time.monotonic() - t0:.1f} s")


def lab_up(scenario_file: str | None) -> None:
    lab = start_lab(spec_for(scenario_file), owner_pid=None, log=click.echo)
    click.echo(f"app: {lab.app_url}")
    click.echo(f"db:  {redact(lab.db_dsn)}")
    click.echo(f"tear down with: chaos lab down {lab.id}")


def lab_down(lab_ids: list[str], all_labs: bool, stale: bool) -> None:
    if all_labs:
        lab_ids = sorted(running_labs())
    elif stale:
        lab_ids = stale_labs()
    elif not lab_ids:
        raise UsageError("name a lab id, or give --all or --stale (see `chaos lab status`)")
    for lab_id in lab_ids:
        try:
            lab = Lab.load(lab_id)
        except LabError:
            lab = Lab(id=lab_id, spec=LabSpec(), owner_pid=0)  # state gone: sweep by label
        with shielded():
            lab.down()
        click.echo(f"lab {lab_id} down")
    if not lab_ids:
        click.echo("no labs to take down")


def lab_status() -> None:
    labs = running_labs()
    if not labs:
        click.echo("no chaos labs on this engine")
        return
    for lab_id, lbl in sorted(labs.items()):
        owner = lbl.get("chaos.pid", "0")
        click.echo(f"lab {lab_id}  project chaos-{lab_id}  "
                   f"owner pid {owner if owner != '0' else '-'}")
        for c in list_resources(lab_id)["containers"]:
            health = (c.attrs["State"].get("Health") or {}).get("Status", "-")
            ports = [
                f"http://{b['HostIp']}:{b['HostPort']} -> {p}"
                for p, binds in (c.attrs["NetworkSettings"]["Ports"] or {}).items()
                for b in binds or []
            ]
            service = c.labels.get("com.docker.compose.service", c.name)
            click.echo(f"  {service:10} {c.status:8} {health:10} {'  '.join(ports)}")
