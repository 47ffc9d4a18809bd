"""What `chaos run` does around the run itself: reports, the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaos.cli.output import echo
from chaos.errors import EXIT_OK, EXIT_TARGETS_MISSED, EXIT_TOOL_FAILED, ChaosError
from chaos.redact import redact

if TYPE_CHECKING:   # the CLI imports the engine when a command runs, not at start
    from chaos.record import RunRecord


def run_cmd(file: str, trials: int, out: str | None, label: str | None,
            keep_observations: bool, keep_lab: bool, max_duration: str | None = None,
            junit: str | None = None, gameday: bool = False,
            overrides: Sequence[str] = (), seed: int | None = None,
            random_phase: bool = True, serve: Any = None) -> int:
    from chaos.lab.engine import check_local
    from chaos.run import RunOptions, run_scenario

    started: list[Path] = []
    try:
        check_local()   # refuse a remote engine before anything is written
        opts = RunOptions(trials=trials, out=Path(out) if out else None, label=label,
                          keep_observations=keep_observations, keep_lab=keep_lab,
                          log=lambda line: echo(redact(line)),
                          max_duration=budget_seconds(max_duration), gameday=gameday,
                          overrides=tuple(overrides), on_start=started.append,
                          seed=seed, random_phase=random_phase)
        if serve is not None:
            opts.serve = serve
        record = run_scenario(file, opts)
    except BaseException as exc:   # exit 2, 3 or 130: CI must still see a failed case
        if junit:
            junit_for_failure(Path(junit), started, file, exc)
        raise
    if junit:
        write_junit(started[0], Path(junit))
    for t in record.targets or []:
        mark = "PASS" if t.passed else "FAIL"
        observed = "—" if t.observed is None else t.observed
        echo(f"  {mark} {t.metric:<16} observed {observed!s:<12} limit {t.limit}"
             + (f"  ({t.note})" if t.note else ""))
    for trial in record.trials:
        if trial.abort_reason:  # an abort_if stop condition: the system under test failed
            echo(f"  trial {trial.trial} aborted: {trial.abort_reason}")
    for trial in record.trials:
        if trial.data_loss_note:
            echo(f"  trial {trial.trial}: lost writes {trial.data_loss_note}")
    from chaos.record.judged import invariant_lines

    for line in invariant_lines(record):
        echo(line)
    echo(verdict_line(record))
    if not record.passed and unmeasured_target(record):
        # The verdict rests on a number we could not take: our failure, not the system's.
        echo("exit 3: a data_loss or rpo target could not be measured (see above)")
        return EXIT_TOOL_FAILED
    return EXIT_OK if record.passed else EXIT_TARGETS_MISSED


def verdict_line(record: RunRecord) -> str:
    """What was missed (targets, invariants), or met; "nothing was judged" only when the
    scenario declares neither a target nor an invariant."""
    from chaos.record.judged import verdict

    return verdict(record)


def unmeasured_target(record: RunRecord) -> bool:
    """A data_loss/rpo target failed only because the scenario's query failed: no
    other target was missed and no invariant read a wrong value (those are the
    system's failures, exit 1, whatever chaos could not measure beside them)."""
    from chaos.record.judged import broken_invariants

    needs = {"data_loss", "rpo"} & set(record.scenario.targets)
    if not needs or not any(t.data_loss_error for t in record.trials):
        return False
    other_missed = any(not t.passed and t.metric not in needs for t in record.targets or [])
    wrong_value = any(not inv.error for _, inv in broken_invariants(record))
    return not other_missed and not wrong_value


def example_cmd(dest: str) -> None:
    from chaos.errors import UsageError
    from chaos.sample import write_example

    if not dest.strip():   # Path("") is the current directory: never what was meant
        raise UsageError("example: DEST is empty; name the directory to write the sample "
                         "into, e.g. `chaos example shop`")
    try:
        written = write_example(Path(dest))
    except FileExistsError as exc:
        raise UsageError(f"{exc}: already exists; choose an empty directory") from None
    except OSError as exc:
        raise UsageError(f"cannot write the example into {dest}: {exc.strerror or exc}") from None
    for path in written:
        echo(f"wrote {path}/")
    echo(f"try: chaos run {Path(dest) / 'scenarios' / 'half-applied-update.yaml'}")


def budget_seconds(text: str | None) -> float | None:
    """``--max-duration 10m`` in seconds; a bad value is invalid input (exit 2)."""
    if text is None:
        return None
    from chaos.errors import UsageError
    from chaos.scenario.duration import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--max-duration: {exc}") from None
    if seconds <= 0:
        raise UsageError("--max-duration must be above 0")
    return seconds


def write_junit(run_dir: Path, dest: Path) -> None:
    """The run's junit.xml, rendered from its record, at the path CI expects."""
    from chaos.atomic import write_text
    from chaos.record import load_run
    from chaos.report import junit

    dest.parent.mkdir(parents=True, exist_ok=True)
    write_text(dest, junit.render(load_run(run_dir)))
    echo(f"wrote {dest}")


def junit_for_failure(dest: Path, started: list[Path], file: str, exc: BaseException) -> None:
    """The failed run's junit.xml: from its record when one was written (it says why the
    run aborted), else a lone ``run`` error naming the reason. Never hides ``exc``."""
    from chaos.atomic import write_text
    from chaos.report import junit

    try:
        if started and (started[0] / "result.json").exists():
            write_junit(started[0], dest)
            return
        if isinstance(exc, KeyboardInterrupt):
            reason = "interrupted"
        else:
            reason = str(exc) if isinstance(exc, ChaosError) else f"{type(exc).__name__}: {exc}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_text(dest, junit.render_unrun(Path(file).stem, reason))
        echo(f"wrote {dest}")
    except (ChaosError, OSError) as failed:   # the run's own error is the one to report
        echo(f"junit not written to {dest}: {failed}", err=True)
