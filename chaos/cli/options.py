"""Options more than one command takes: ``--set``, ``--allow-remote``,
``--allow-outside-files``. The two guards write the settings (``chaos.settings``)
as click parses them, before the command runs."""

from __future__ import annotations

import click

from chaos import settings


def _allow_remote(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:   # read where the engine is chosen (chaos.lab.engine.check_local)
        settings.update(allow_remote=True)


ALLOW_REMOTE = click.option(
    "--allow-remote", is_flag=True, expose_value=False, callback=_allow_remote,
    help="Allow a Docker engine on another machine (DOCKER_HOST); refused by default.")

def _allow_outside(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:   # read by load_scenario wherever this command loads a scenario
        settings.update(allow_outside_files=True)


ALLOW_OUTSIDE = click.option(
    "--allow-outside-files", is_flag=True, expose_value=False, callback=_allow_outside,
    help="Let the scenario name files outside its project (its git checkout, else the "
         "directory above it); refused by default, since CI may run a scenario from a pull "
         "request.")

SET_OPTION = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="Override a scenario field before validation, e.g. --set load.users=5 or "
         "--set faults[0].at=30s (repeatable; VALUE is read as YAML).")
