"""The one way chaos/cli/ writes a line: control characters escaped, nothing raw."""

from __future__ import annotations

import click

from chaos.printable import printable


def echo(text: object = "", err: bool = False) -> None:
    click.echo(printable(text), err=err)
