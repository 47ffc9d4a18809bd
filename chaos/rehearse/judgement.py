"""A boundary's verdict, and the rehearsal's: what CI acts on.

A boundary fails when users failed above the threshold while the database sat at
it, when an invariant did not hold after its recovery, when the recovery broke or
left a schema other than the clean run's, or when the app did not serve again.
What could not be measured fails too, saying so: a rehearsal never passes on a
value it did not see.
"""

from __future__ import annotations

from chaos.record import BoundaryRecord, InvariantResult
from chaos.record.judged import held, invariant_text
from chaos.rehearse.outcome import Outcome


def reasons(o: Outcome, max_error_ratio: float) -> list[str]:
    """Why this boundary fails; empty when it passes."""
    out = list(o.notes)
    if o.half is None:
        return out or ["not measured: no requests were read"]
    ratio = o.half.error_ratio
    if ratio is None:
        out.append("not measured: no request ended while the database sat at this boundary")
    elif ratio > max_error_ratio:
        names = ", ".join(list(o.half.failing)[:4])
        out.append(f"users failing: {ratio:.1%} of {o.half.requests} requests "
                   f"(above {max_error_ratio:.1%}){f' on {names}' if names else ''}")
    if "failed_at" in o.fault:
        out.append(f"the script broke by itself at unit {o.fault['failed_at']}: "
                   f"{o.fault.get('reason', '')}")
    if o.recovery is not None and o.recovery != "done":
        out.append(f"recovery {o.recovery}")
    when = "the run" if o.boundary.clean else "recovery"
    for inv in o.invariants_after:
        if not held(inv):
            out.append(f"invariant {inv.name!r} after {when}: {invariant_text(inv)}")
    if not o.boundary.clean:
        if o.converged is None:
            out.append("not measured: the schema after recovery was not read")
        elif not o.converged:
            out.append(f"did not converge: the schema differs from the clean run's "
                       f"({len([d for d in o.schema_diff if d[:1] in '+-'])} lines)")
    if o.serving_again is False:
        out.append("the app did not serve again before the trial's end (the recovery's "
                   f"start + --settle; trial ended: {o.end_reason})")
    return out


def boundary_record(o: Outcome, max_error_ratio: float) -> BoundaryRecord:
    """The boundary's row of the matrix; the clean run's also carries its units and chart."""
    why = reasons(o, max_error_ratio)
    row = BoundaryRecord(
        boundary=o.boundary.key, describe=o.boundary.describe(),
        applied=o.fault.get("applied", o.boundary.applied), of=o.boundary.of,
        lost_ack=o.boundary.lost_ack, acknowledgement=o.fault.get("acknowledgement"),
        passed=not why, reasons=why,
        half_applied=o.half.record() if o.half else None,
        before=o.before.record() if o.before else None,
        invariants_half_applied=[InvariantResult.model_validate(i)
                                 for i in o.fault.get("invariants", [])],
        recovery=o.recovery, invariants_after=o.invariants_after,
        converged=o.converged, schema_diff=o.schema_diff,
        serving_again=o.serving_again, end_reason=o.end_reason)
    if o.boundary.clean:
        row.statements, row.series = o.statements, o.series
    return row


def exit_code(rows: list[BoundaryRecord]) -> int:
    return 0 if rows and all(r.passed for r in rows) else 1
