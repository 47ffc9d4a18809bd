"""`chaos rehearse SCRIPT --scenario FILE`: a migration stopped at every boundary under load."""

from __future__ import annotations

from pathlib import Path

from chaos.atomic import write_text
from chaos.cli.output import echo
from chaos.errors import UsageError
from chaos.redact import redact


def _seconds(option: str, text: str) -> float:
    from chaos.scenario.duration import parse_duration

    try:
        return parse_duration(text)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{option} {text!r}: {exc}") from None


def rehearse_cmd(script: str, scenario: str, recovery: str, at: str, hold: str, settle: str,
                 max_error_ratio: str | None, out: str | None, junit: str | None,
                 keep_observations: bool, overrides: tuple[str, ...]) -> int:
    from chaos.lab.engine import check_local
    from chaos.rehearse.matrix import junit as junit_xml
    from chaos.rehearse.matrix import matrix_lines, statement_lines
    from chaos.rehearse.plan import AfterStop, Timing
    from chaos.rehearse.rehearsal import RehearseOptions, rehearse
    from chaos.scenario.duration import parse_ratio

    path = Path(script)
    if not path.is_file():
        raise UsageError(f"{script}: no such migration script")
    if recovery in ("rerun", "steps"):
        how = AfterStop(recovery)   # type: ignore[arg-type]  # checked just above
    elif Path(recovery).is_file():
        how = AfterStop("script", Path(recovery).resolve())
    else:
        raise UsageError(f"--recovery {recovery!r}: expected rerun, steps or a SQL file "
                         "that exists")
    ratio = None
    if max_error_ratio is not None:
        try:
            ratio = parse_ratio(max_error_ratio)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"--max-error-ratio {max_error_ratio!r}: {exc}") from None
    timing = Timing(at=_seconds("--at", at), hold=_seconds("--hold", hold),
                    settle=_seconds("--settle", settle))
    check_local()
    doc = rehearse(path, Path(scenario), RehearseOptions(
        recovery=how, timing=timing, max_error_ratio=ratio,
        out=Path(out) if out else None, overrides=overrides,
        keep_observations=keep_observations, log=lambda line: echo(redact(line))))
    for line in [*matrix_lines(doc), *statement_lines(doc)]:
        echo(line)
    if junit:
        write_text(Path(junit), junit_xml(doc))
        echo(f"wrote {junit}")
    return 0 if doc["passed"] else 1
