"""junit.xml: the run as CI systems read test results.

One ``<testsuite>`` per run (named after the scenario), one ``<testcase>`` per
scenario target (name = target, classname = scenario), a ``<failure>`` with
"observed X, limit Y" for each target missed, and one ``<testcase>`` per invariant
(name ``invariant: NAME``), a ``<failure>`` with "observed X, expect Y" or the reason
it was not measured when it did not hold in a trial. A run that did not complete adds
a ``run`` testcase with an ``<error>``: an aborted run must never look green. Nor
may a run that did not pass for another reason (a trial an ``abort_if`` stopped,
its targets met so far): then a ``run`` testcase with a ``<failure>`` says why.
A scenario without targets and without invariants judged nothing: its one testcase
is ``<skipped>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from chaos.measure.targets import lookup
from chaos.record import InvariantResult, Run, TargetResult
from chaos.record.judged import held, invariant_text, met_everything
from chaos.report.story import stories
from chaos.report.tables import null_reason
from chaos.report.text import num, redact

PROPERTIES = (("ttd_s", "ttd_s"), ("tta_s", "tta_s"), ("ttm_s", "ttm_s"), ("ttr_s", "ttr_s"),
              ("outage_s", "outage_s"), ("lost_writes", "data_loss.lost"), ("rpo_s", "rpo_s"))


def _property_value(run: Run, field: str) -> str:
    """The trial's value for one trial, the median across several; 'null' when none.
    A median that leaves null trials out says how many (it is not the run's median)."""
    if len(run.record.trials) == 1:   # a dotted field (data_loss.lost) of its JSON form
        value = lookup(run.trials[0], field)
        return "null" if value is None else num(value)
    spread = run.spread(field)
    value = None if spread is None else spread.median
    if spread is None or value is None:
        return "null"
    nulls = spread.nulls or 0
    if nulls:
        return f"{num(value)} ({nulls} of {(spread.n or 0) + nulls} trials null)"
    return num(value)


def _failure_message(run: Run, target: TargetResult) -> str:
    if target.observed is None:
        reasons = sorted({null_reason(s, target.metric) for s in stories(run)}) or ["no trial ran"]
        shown = f"nothing ({', '.join(reasons)})"
    else:
        shown = num(target.observed)
    return f"observed {shown}, limit {num(target.limit)}"


def _headline(run: Run) -> str:
    """TTD, TTR and lost writes, so a failure shown alone still says how the run went."""
    n = len(run.record.trials)
    of = "" if n == 1 else f" (medians of {n} trials)"
    return (f"ttd_s {_property_value(run, 'ttd_s')}, ttr_s {_property_value(run, 'ttr_s')}, "
            f"lost writes {_property_value(run, 'data_loss.lost')}{of}")


def _trial_detail(run: Run, metric: str) -> str:
    lines = []
    for t in run.record.trials:
        entry = next((x for x in t.targets if x.metric == metric), None)
        if entry is None:
            lines.append(f"trial {t.trial}: not evaluated ({t.status})")
        else:
            verdict = "passed" if entry.passed else "FAILED"
            note = f" ({entry.note})" if entry.note else ""
            lines.append(f"trial {t.trial}: observed {num(entry.observed)}, "
                         f"limit {num(entry.limit)}: {verdict}{note}")
    return "\n".join(lines)


def render(run: Run) -> str:
    r, scenario = run.record, run.record.scenario.name
    cases = []
    for target in run.target_results():
        case = ET.Element("testcase", name=target.metric, classname=scenario, time="0")
        if not target.passed:
            failure = ET.SubElement(case, "failure", message=_failure_message(run, target),
                                    type="TargetMissed")
            failure.text = _headline(run) + "\n" + _trial_detail(run, target.metric)
        cases.append(case)
    cases += _invariant_cases(run, scenario)
    errors = 0
    if r.status != "completed":
        case = ET.Element("testcase", name="run", classname=scenario, time="0")
        reason = redact(r.abort_reason or f"status {r.status!r}")
        ET.SubElement(case, "error", message=f"run did not complete: {reason}", type="RunAborted")
        cases.append(case)
        errors = 1
    elif r.passed is not True and not any(c.find("failure") is not None for c in cases):
        cases.append(_not_passed(run, scenario))   # the exit code is 1: so is the XML
    elif not cases:
        case = ET.Element("testcase", name="targets", classname=scenario, time="0")
        ET.SubElement(case, "skipped", message="the scenario declares no targets and no "
                                               "invariants: nothing was judged")
        cases.append(case)
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    wall = sum(t.wall_s or 0 for t in r.trials)
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors),
              "skipped": str(skipped), "time": num(round(wall, 3))}
    root = ET.Element("testsuites", {"name": "chaos", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": scenario, **counts,
                                              "timestamp": r.started or ""})
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", r.run_id), ("status", r.status),
                        ("trials", len(r.trials)), ("passed", met_everything(r))):
        ET.SubElement(props, "property", name=name,
                      value=str(value).lower() if isinstance(value, bool) else str(value))
    for name, field in PROPERTIES:
        ET.SubElement(props, "property", name=name, value=_property_value(run, field))
    suite.extend(cases)
    return _xml(root)


def _invariant_cases(run: Run, scenario: str) -> list[ET.Element]:
    """One testcase per invariant, red when it failed or was not measured in any trial:
    the first such trial's reading is the message, every trial's is the text."""
    by_name: dict[str, list[tuple[int, InvariantResult]]] = {}
    for t in run.record.trials:
        for inv in t.invariants:
            by_name.setdefault(inv.name, []).append((t.trial, inv))
    cases = []
    several = len(run.record.trials) > 1
    for name, seen in by_name.items():
        case = ET.Element("testcase", name=f"invariant: {redact(name)}", classname=scenario,
                          time="0")
        broken = [(n, inv) for n, inv in seen if not held(inv)]
        if broken:
            # a trial that read a wrong value is the system's failure: it outranks a
            # trial that could not read the invariant at all
            n, first = next(((n, inv) for n, inv in broken if not inv.error), broken[0])
            failure = ET.SubElement(case, "failure", message=(
                (f"trial {n}: " if several else "") + invariant_text(first)),
                type="InvariantNotMeasured" if first.error else "InvariantFailed")
            failure.text = _headline(run) + "\n" + "\n".join(
                f"trial {n}: {invariant_text(inv)}"
                + ("" if inv.error else ": held" if held(inv) else ": FAILED")
                for n, inv in seen)
        cases.append(case)
    return cases


def _not_passed(run: Run, scenario: str) -> ET.Element:
    """A ``run`` failure for a completed run whose record does not say it passed, though
    every target's testcase did: the trials that did not complete, or the bare fact."""
    why = [f"trial {t.trial} {t.status}" + (f": {redact(t.abort_reason)}" if t.abort_reason
                                             else "")
           for t in run.record.trials if t.status != "completed"]
    case = ET.Element("testcase", name="run", classname=scenario, time="0")
    failure = ET.SubElement(case, "failure", type="RunNotPassed", message=(
        "run did not pass: " + ("; ".join(why) if why else
                                f"its record says passed={run.record.passed!r}")))
    failure.text = _headline(run)
    return case


def render_unrun(scenario: str, reason: str) -> str:
    """junit.xml for a run that left no readable record (invalid input, a tool failure
    before the first write): one ``run`` testcase with an ``<error>``, so CI sees red."""
    counts = {"tests": "1", "failures": "0", "errors": "1", "skipped": "0", "time": "0"}
    root = ET.Element("testsuites", {"name": "chaos", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": scenario, **counts})
    case = ET.SubElement(suite, "testcase", name="run", classname=scenario, time="0")
    ET.SubElement(case, "error", message=f"run did not complete: {redact(reason)}",
                  type="RunFailed")
    return _xml(root)


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
