"""What a run was judged on and what it missed: its targets and its invariants.

    trial_passed("completed", rec.targets, rec.invariants)   # the trial's ``passed``
    broken_invariants(record)   # [(trial, InvariantResult)]: each failed or not measured
    invariant_text(inv)         # "observed 3, expect 0" | "not measured: connection refused"
    invariant_lines(record)     # "  FAIL invariant 'stock' (trial 2): observed 3, expect 0"
    verdict(record)             # "targets met; invariants held" | "invariant failed: 'stock'"
    judged_nothing(record)      # no target and no invariant: passed only vacuously

A trial passes only when it completed, met every target and every invariant held. An
invariant that could not be read is not measured: never a pass, and never shown as a
failed check either (its reason is given instead). The command line, JUnit, the pytest
plugin and the reports all word the verdict from here, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from chaos.record.models import RunRecord, TargetResult
from chaos.record.section import InvariantResult
from chaos.redact import redact

NOT_MEASURED = "not measured"


def held(inv: InvariantResult) -> bool:
    """The invariant was read and gave its ``expect``."""
    return inv.passed and not inv.error


def trial_passed(status: str, targets: Iterable[TargetResult],
                 invariants: Iterable[InvariantResult]) -> bool:
    return (status == "completed" and all(t.passed for t in targets)
            and all(held(i) for i in invariants))


def broken_invariants(record: RunRecord) -> list[tuple[int, InvariantResult]]:
    """Each invariant that failed or was not measured, with its trial's number."""
    return [(t.trial, inv) for t in record.trials for inv in t.invariants if not held(inv)]


def invariant_text(inv: InvariantResult) -> str:
    """What the check saw: its value against ``expect``, or why it saw nothing."""
    if inv.error:
        why = redact(inv.error)
        return why if why.startswith(NOT_MEASURED) else f"{NOT_MEASURED}: {why}"
    return f"observed {_value(inv.observed)}, expect {_value(inv.expect)}"


def invariant_lines(record: RunRecord, every_trial: bool = False) -> list[str]:
    """A line per invariant that failed or could not be read: its name, what it saw, and
    its trial (always with ``every_trial``, else when the run has several)."""
    several = every_trial or len(record.trials) > 1
    return [f"  FAIL invariant '{redact(inv.name)}'" + (f" (trial {n})" if several else "")
            + f": {invariant_text(inv)}" for n, inv in broken_invariants(record)]


def _value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return redact(value)


def judged_nothing(record: RunRecord) -> bool:
    """Neither a target nor an invariant: a pass would say nothing about the system."""
    return not record.targets and not any(t.invariants for t in record.trials)


def missed_targets(record: RunRecord) -> bool:
    return any(not t.passed for t in record.targets or [])


def met_everything(record: RunRecord) -> bool:
    """The record says it passed and nothing in it says otherwise (a record written
    before invariants counted may say passed beside a failed one)."""
    return (record.passed is True and not missed_targets(record)
            and not broken_invariants(record))


def verdict(record: RunRecord) -> str:
    """The run's verdict in one line: what was met, or what was missed."""
    if met_everything(record):
        if judged_nothing(record):
            return ("run completed; the scenario declares no targets and no invariants, "
                    "so nothing was judged")
        held_part = "invariants held" if any(t.invariants for t in record.trials) else ""
        if not record.targets:
            return f"{held_part} (the scenario declares no targets)"
        return "targets met" + (f"; {held_part}" if held_part else "")
    broken = broken_invariants(record)
    failed = _names(inv for _, inv in broken if not inv.error)
    unmeasured = _names(inv for _, inv in broken if inv.error)
    missed = ["targets missed"] if missed_targets(record) else []
    if failed:
        missed.append(f"{_plural(failed)} failed: {_quoted(failed)}")
    if unmeasured:
        missed.append(f"{_plural(unmeasured)} {NOT_MEASURED}: {_quoted(unmeasured)}")
    if missed:
        return "; ".join(missed)
    # Nothing judged was missed, yet the run did not pass: a trial that did not complete.
    why = [f"trial {t.trial} {t.status}" for t in record.trials if t.status != "completed"]
    if record.status != "completed":
        why.insert(0, f"run {record.status}")
    return "run did not pass" + (f": {'; '.join(why)}" if why else "")


def _names(invariants: Iterable[InvariantResult]) -> list[str]:
    return list(dict.fromkeys(inv.name for inv in invariants))


def _plural(names: list[str]) -> str:
    return "invariant" if len(names) == 1 else "invariants"


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{redact(n)}'" for n in names)
