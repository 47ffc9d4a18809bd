"""A rehearsal as people and CI read it: the boundary matrix, the statements' costs, JUnit."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from chaos.record import BoundaryRecord, RehearsalRecord
from chaos.record.judged import held
from chaos.report.rehearsalview import broken_endpoints, error_cell, yes_cell


def matrix_lines(doc: RehearsalRecord) -> list[str]:
    head = (f"{'boundary':<48} {'errors while there':>22}  {'broken endpoints':<28} "
            f"{'invariants':<10} {'recovery':<8} {'converges':<9} {'serves':<6}  verdict")
    threshold = "?" if doc.max_error_ratio is None else f"{doc.max_error_ratio:.1%}"
    lines = [f"rehearsal of {doc.script} ({'?' if doc.units is None else doc.units} units; "
             f"recovery: {doc.recovery or '?'}; threshold {threshold})", head]
    for row in doc.boundaries:
        broken = broken_endpoints(row.half_applied, 3) or "-"
        converges = "-" if row.clean else yes_cell(row.converged)
        lines.append(f"{row.describe[:48]:<48} {error_cell(row.half_applied):>22}  "
                     f"{broken[:28]:<28} {_invariants(row):<10} {_recovery(row):<8} "
                     f"{converges:<9} {yes_cell(row.serving_again):<6}  "
                     f"{'pass' if row.passed else 'FAIL'}")
    lines.append(f"verdict: {'pass' if doc.passed else 'FAIL'} ({doc.status})")
    return lines


def _invariants(row: BoundaryRecord) -> str:
    after = row.invariants_after
    return "-" if not after else "ok" if all(held(i) for i in after) else "BROKEN"


def _recovery(row: BoundaryRecord) -> str:
    return "-" if row.recovery is None else "done" if row.recovery == "done" else "FAILED"


def statement_lines(doc: RehearsalRecord) -> list[str]:
    clean = doc.clean_run()
    if clean is None or not clean.statements:
        return []
    lines = ["the clean run, unit by unit:",
             f"{'unit':>4} {'seconds':>8}  {'locks':<44} {'waiting':>7} {'requests':>8} "
             f"{'failed':>6} {'slowed':>6} {'p99 ms':>8} {'before':>8}"]
    for s in clean.statements:
        locks = ", ".join(f"{mode} on {rel}" for rel, mode in s.locks.items()) or "-"
        lines.append(f"{s.unit:>4} {_shown(s.duration_s, '.3f'):>8}  {locks[:44]:<44} "
                     f"{_shown(s.waiting_sessions, 'd'):>7} {s.requests:>8} {s.failed:>6} "
                     f"{_shown(s.slowed, 'd'):>6} {_shown(s.p99_ms, '.0f'):>8} "
                     f"{_shown(s.p99_before_ms, '.0f'):>8}")
    return lines


def _shown(value: float | None, spec: str) -> str:
    """A measurement in its format; ``-`` when it was not measured (never 0)."""
    return "-" if value is None else format(value, spec)


def junit(doc: RehearsalRecord) -> str:
    """One test case per boundary: CI shows which boundary broke users, and why."""
    rows = doc.boundaries
    failures = sum(1 for r in rows if not r.passed)
    suite = ET.Element("testsuite", name=f"rehearse {doc.script}", tests=str(len(rows)),
                       failures=str(failures), errors="0")
    for row in rows:
        case = ET.SubElement(suite, "testcase", classname="chaos.rehearse",
                             name=f"{row.boundary}: {row.describe}")
        if not row.passed:
            reasons = row.reasons or ["failed (no reason recorded)"]
            failure = ET.SubElement(case, "failure", message=reasons[0][:200])
            failure.text = "\n".join(reasons)
    if doc.status != "completed":
        case = ET.SubElement(suite, "testcase", classname="chaos.rehearse", name="rehearsal")
        ET.SubElement(case, "error", message=f"the rehearsal did not finish ({doc.status})")
        suite.set("errors", "1")
        suite.set("tests", str(len(rows) + 1))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
