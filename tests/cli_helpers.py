"""Running the command line in-process, for tests that need its real exit code."""

from __future__ import annotations

from click.testing import CliRunner

from chaos import cli


def run_main(argv: list[str]) -> tuple[int, str]:
    """``chaos.cli.main(argv)`` under click's test runner: the exit code and all output."""
    runner = CliRunner()
    with runner.isolation() as (out, err, *_):
        try:
            cli.main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return code, (out.getvalue().decode(errors="replace")
                      + err.getvalue().decode(errors="replace"))
