"""A rehearsal as people and CI read it: the boundary matrix, the statements' costs, JUnit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from chaos.report.rehearsalview import error_cell, yes_cell


def matrix_lines(doc: dict[str, Any]) -> list[str]:
    head = (f"{'boundary':<48} {'errors while there':>22}  {'broken endpoints':<28} "
            f"{'invariants':<10} {'recovery':<8} {'converges':<9} {'serves':<6}  verdict")
    lines = [f"rehearsal of {doc['script']} ({doc['units']} units; recovery: "
             f"{doc['recovery']}; threshold {doc['max_error_ratio']:.1%})", head]
    for row in doc["boundaries"]:
        half = row.get("half_applied") or {}
        broken = ", ".join(list(half.get("failing", {}))[:3]) or "-"
        invariants = row.get("invariants_after") or []
        inv = ("ok" if invariants and all(i.get("passed") for i in invariants)
               else "-" if not invariants else "BROKEN")
        recovery = "-" if row.get("recovery") is None else (
            "done" if row["recovery"] == "done" else "FAILED")
        converges = "-" if row["boundary"] == "clean" else yes_cell(row.get("converged"))
        lines.append(f"{row['describe'][:48]:<48} {error_cell(half):>22}  {broken[:28]:<28} "
                     f"{inv:<10} {recovery:<8} {converges:<9} "
                     f"{yes_cell(row.get('serving_again')):<6}  "
                     f"{'pass' if row['passed'] else 'FAIL'}")
    lines.append(f"verdict: {'pass' if doc['passed'] else 'FAIL'} ({doc['status']})")
    return lines


def statement_lines(doc: dict[str, Any]) -> list[str]:
    clean = next((r for r in doc["boundaries"] if r["boundary"] == "clean"), None)
    if clean is None or not clean.get("statements"):
        return []
    lines = ["the clean run, unit by unit:",
             f"{'unit':>4} {'seconds':>8}  {'locks':<44} {'waiting':>7} {'requests':>8} "
             f"{'failed':>6} {'slowed':>6} {'p99 ms':>8} {'before':>8}"]
    for s in clean["statements"]:
        locks = ", ".join(f"{mode} on {rel}" for rel, mode in s.get("locks", {}).items()) or "-"
        p99 = "-" if s.get("p99_ms") is None else f"{s['p99_ms']:.0f}"
        before = "-" if s.get("p99_before_ms") is None else f"{s['p99_before_ms']:.0f}"
        secs = "-" if s.get("duration_s") is None else f"{s['duration_s']:.3f}"
        slowed = "-" if s.get("slowed") is None else str(s["slowed"])
        lines.append(f"{s['unit']:>4} {secs:>8}  {locks[:44]:<44} {s['waiting_sessions']:>7} "
                     f"{s['requests']:>8} {s['failed']:>6} {slowed:>6} {p99:>8} "
                     f"{before:>8}")
    return lines


def junit(doc: dict[str, Any]) -> str:
    """One test case per boundary: CI shows which boundary broke users, and why."""
    rows = doc["boundaries"]
    failures = sum(1 for r in rows if not r["passed"])
    suite = ET.Element("testsuite", name=f"rehearse {doc['script']}", tests=str(len(rows)),
                       failures=str(failures), errors="0")
    for row in rows:
        case = ET.SubElement(suite, "testcase", classname="chaos.rehearse",
                             name=f"{row['boundary']}: {row['describe']}")
        if not row["passed"]:
            failure = ET.SubElement(case, "failure", message=row["reasons"][0][:200])
            failure.text = "\n".join(row["reasons"])
    if doc["status"] != "completed":
        case = ET.SubElement(suite, "testcase", classname="chaos.rehearse", name="rehearsal")
        ET.SubElement(case, "error", message=f"the rehearsal did not finish ({doc['status']})")
        suite.set("errors", "1")
        suite.set("tests", str(len(rows) + 1))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
