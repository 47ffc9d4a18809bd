"""`chaos lab build|up|down|status`: print what the lab package does."""

from __future__ import annotations

import time

import click

from chaos.cli.output import echo
from chaos.errors import LabError, UsageError
from chaos.lab import labels
from chaos.lab.lab import Lab, LabSpec, state_root
from chaos.lab.resources import list_resources, running_labs, stale_labs
from chaos.lab.start import spec_for, start_lab
from chaos.redact import redact
from chaos.signals import shielded


def build_images_cmd(offline: bool | None, mirror: str | None, force: bool,
                     observe: bool = False, loadworker: bool = False) -> None:
    from chaos.lab.images.labset import build_images

    t0 = time.monotonic()
    infos = build_images(offline=offline, mirror=mirror, force=force, log=click.echo)
    if observe:
        from chaos.lab.images.observeset import ensure_observe_image

        infos += ensure_observe_image(offline=offline, mirror=mirror, force=force,
                                      log=click.echo)
    if loadworker:    # always offline: it is the host's own Locust
        from chaos.lab.images.loadworkerset import ensure_loadworker_image

        infos += ensure_loadworker_image(mirror=mirror, force=force, log=click.echo)
    for info in infos:
        state = f"built in {info.seconds:.1f} s" if info.built else "up to date"
        echo(f"{info.tag:28} {info.size_bytes / 1e6:8.1f} MB  {state}")
    echo(f"images ready in {time.monotonic() - t0:.1f} s")


def build_needs_cmd(observe: bool) -> None:
    """What `make demo` asks before building (scripts/sysdeps demo): the tools on stdout,
    why on stderr."""
    from chaos.lab.images.buildneeds import build_needs

    for need in build_needs(observe=observe, log=lambda m: echo(m, err=True)):
        echo(need)


def lab_up(scenario_file: str | None) -> None:
    lab = start_lab(spec_for(scenario_file), owner_pid=None, log=click.echo)
    echo(f"app: {lab.app_url}")
    echo(f"db:  {redact(lab.db_dsn)}")
    echo(f"tear down with: chaos lab down {lab.id}")


def lab_down(lab_ids: list[str], all_labs: bool, stale: bool) -> None:
    if all_labs:
        lab_ids = sorted(running_labs())
    elif stale:
        lab_ids = stale_labs()
    elif not lab_ids:
        raise UsageError("name a lab id, or give --all or --stale (see `chaos lab status`)")
    else:
        check_named(lab_ids)
    for lab_id in lab_ids:
        try:
            lab = Lab.load(lab_id)
        except (LabError, UsageError):  # state gone or damaged: sweep by label
            lab = Lab(id=lab_id, spec=LabSpec(), owner_pid=0)
        with shielded():
            notes = lab.down()
        for note in notes:
            echo(note)
        echo(f"lab {lab_id} down")
    if not lab_ids:
        echo("no labs to take down")


def check_named(lab_ids: list[str]) -> None:
    """Every id named is well formed and is a lab here (its state or its labelled
    resources), or nothing at all is touched: exit 2, naming the labs that exist."""
    malformed = [i for i in lab_ids if not labels.is_lab_id(i)]
    if malformed:       # refused before the engine is even asked
        raise UsageError("; ".join(f"{i!r} is not a lab id (8 hex digits)" for i in malformed)
                         + "; nothing was taken down (see `chaos lab status`)")
    states = {f.parent.name for f in state_root().glob("*/lab.json")}
    known = {i for i in set(running_labs()) | states if labels.is_lab_id(i)}
    unknown = [i for i in lab_ids if i not in known]
    if unknown:
        there = ", ".join(sorted(known)) or "none"
        raise UsageError(f"no lab {', '.join(unknown)} on this engine; nothing was taken "
                         f"down (labs here: {there})")


def lab_status() -> None:
    labs = running_labs()
    if not labs:
        echo("no chaos labs on this engine")
        return
    for lab_id, lbl in sorted(labs.items()):
        owner = lbl.get("chaos.pid", "0")
        echo(f"lab {lab_id}  project chaos-{lab_id}  "
                   f"owner pid {owner if owner != '0' else '-'}")
        for c in list_resources(lab_id)["containers"]:
            health = (c.attrs["State"].get("Health") or {}).get("Status", "-")
            ports = [
                f"http://{b['HostIp']}:{b['HostPort']} -> {p}"
                for p, binds in (c.attrs["NetworkSettings"]["Ports"] or {}).items()
                for b in binds or []
            ]
            service = c.labels.get("com.docker.compose.service", c.name)
            echo(f"  {service:10} {c.status:8} {health:10} {'  '.join(ports)}")
