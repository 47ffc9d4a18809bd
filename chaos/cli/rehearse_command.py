"""`chaos rehearse SCRIPT --scenario FILE`: a migration stopped at every boundary under load."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chaos.atomic import write_text
from chaos.cli.output import echo
from chaos.errors import UsageError
from chaos.redact import redact

if TYPE_CHECKING:
    from chaos.record import RehearsalRecord
    from chaos.rehearse.plan import AfterStop, Timing
    from chaos.scenario.rehearsesection import RehearseSection


def _seconds(option: str, text: str | None, section: float | None, default: float) -> float:
    from chaos.scenario.duration import parse_duration

    if text is None:
        return section if section is not None else default
    try:
        return parse_duration(text)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{option} {text!r}: {exc}") from None


def _after_stop(recovery: str | None, section: RehearseSection | None) -> AfterStop:
    from chaos.rehearse.plan import AfterStop

    if recovery is None:
        if section is None or section.recovery == "rerun":
            return AfterStop("rerun")
        fixed = section.recovery_file()
        return AfterStop("steps") if fixed is None else AfterStop("script", fixed)
    if recovery in ("rerun", "steps"):
        return AfterStop(recovery)   # type: ignore[arg-type]  # checked just above
    if Path(recovery).is_file():
        return AfterStop("script", Path(recovery).resolve())
    raise UsageError(f"--recovery {recovery!r}: expected rerun, steps or a SQL file that "
                     "exists")


def _timing(at: str | None, hold: str | None, settle: str | None,
            section: RehearseSection | None) -> Timing:
    from chaos.rehearse.plan import Timing

    s = section
    return Timing(at=_seconds("--at", at, s.at if s else None, 10.0),
                  hold=_seconds("--hold", hold, s.hold if s else None, 10.0),
                  settle=_seconds("--settle", settle, s.settle if s else None, 60.0))


def _unfinished(started: list[Path], script: Path) -> RehearsalRecord:
    """The rehearsal as far as it got (rehearsal.json), marked as not finished."""
    from chaos.errors import ReportError
    from chaos.record import RehearsalRecord, load_rehearsal

    doc = RehearsalRecord(script=str(script), status="aborted", boundaries=[])
    if started:
        try:
            doc = load_rehearsal(started[0] / "rehearsal.json")
        except ReportError:
            pass   # nothing written yet: an empty suite with the error case
    doc.status = "aborted"
    return doc


def rehearse_cmd(script: str | None, scenario: str, recovery: str | None, at: str | None,
                 hold: str | None, settle: str | None, max_error_ratio: str | None,
                 out: str | None, junit: str | None, keep_observations: bool,
                 overrides: tuple[str, ...]) -> int:
    from chaos.lab.engine import check_local
    from chaos.rehearse.matrix import junit as junit_xml
    from chaos.rehearse.matrix import matrix_lines, statement_lines
    from chaos.rehearse.rehearsal import RehearseOptions, rehearse
    from chaos.scenario import load_scenario
    from chaos.scenario.duration import parse_ratio

    section = load_scenario(scenario, overrides=overrides).rehearse   # invalid: exit 2
    if script is None:
        if section is None or section.script is None:
            raise UsageError(f"no SCRIPT given and {scenario} has no rehearse.script")
        path = section.script
    else:
        path = Path(script)
        if not path.is_file():
            raise UsageError(f"{script}: no such migration script")
    ratio = section.max_error_ratio if section is not None else None
    if max_error_ratio is not None:
        try:
            ratio = parse_ratio(max_error_ratio)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"--max-error-ratio {max_error_ratio!r}: {exc}") from None
    how, timing = _after_stop(recovery, section), _timing(at, hold, settle, section)
    check_local()
    started: list[Path] = []
    try:
        doc = rehearse(path, Path(scenario), RehearseOptions(
            recovery=how, timing=timing, max_error_ratio=ratio,
            out=Path(out) if out else None, overrides=overrides,
            keep_observations=keep_observations, log=lambda line: echo(redact(line)),
            on_start=started.append))
    except BaseException:   # exit 3 or 130: CI still gets a failed suite, with what finished
        if junit:
            write_text(Path(junit), junit_xml(_unfinished(started, path)))
        raise
    for line in [*matrix_lines(doc), *statement_lines(doc)]:
        echo(line)
    if junit:
        write_text(Path(junit), junit_xml(doc))
        echo(f"wrote {junit}")
    return 0 if doc.passed else 1
