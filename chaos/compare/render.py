"""A comparison as a terminal table, Markdown or JSON.

Infinite ranked values are the nulls of samples.py: shown as "never" (never
happened: worse than any value; "not verified" for lost writes, "unbounded" for
the RPO) and "no impact" (better than any value), and written the same way in
JSON, where a number would lie.
"""

from __future__ import annotations

import json
import math
from typing import Any

from chaos.compare.loadmatch import load_note
from chaos.compare.samples import worst_name
from chaos.compare.verdict import Comparison, MetricComparison
from chaos.history import RunEntry
from chaos.measure.stats import Spread
from chaos.report.text import NULL, num, table


def value(x: float | None, metric: str = "") -> str:
    if x is None:
        return NULL
    if math.isinf(x):
        return worst_name(metric) if x > 0 else "no impact"
    return num(round(x, 3))


def spread_text(s: Spread | None, metric: str) -> str:
    if s is None:
        return "no trials"
    iqr = f"IQR {value(s.iqr)}" if math.isfinite(s.iqr) else "IQR —"
    return f"{value(s.median, metric)} ({value(s.min, metric)}–{value(s.max, metric)}, {iqr})"


def delta_text(c: MetricComparison) -> str:
    if c.difference is None:
        return NULL
    if c.difference == 0:
        return "0"
    if math.isinf(c.difference):
        return f"worse: {worst_name(c.metric)}" if c.difference > 0 else "better: no longer null"
    rel = "" if c.relative is None or math.isinf(c.relative) else f" ({c.relative:+.0%})"
    return f"{c.difference:+.3g}{rel}"


def ci_text(c: MetricComparison) -> str:
    return f"[{num(c.ci[0])}, {num(c.ci[1])}]" if c.ci else NULL


def verdict_text(c: MetricComparison) -> str:
    if c.needed_per_side:
        return f"{c.verdict} (need ≥{c.needed_per_side} per side)"
    return c.verdict


def run_title(entry: RunEntry) -> str:
    r = entry.result
    label = f" [{r.label}]" if r.label else ""
    commit = r.scenario.git_commit
    at = f" @{commit[:10]}" if commit else ""
    return f"{r.run_id}{label}{at}: {r.scenario.name}"


def rows(cmp: Comparison) -> list[list[str]]:
    return [[c.metric, spread_text(c.base_spread, c.metric),
             spread_text(c.candidate_spread, c.metric), delta_text(c),
             ci_text(c), NULL if c.p is None else f"{c.p:.3g}", verdict_text(c)]
            for c in cmp.metrics]


HEAD = ["metric", "base median (min–max, IQR)", "candidate median (min–max, IQR)",
        "Δ median", "95% CI of Δ", "p (MWU)", "verdict"]


def gate_text(cmp: Comparison) -> str:
    """One line: passed, FAILED on regressions, and/or FAILED: not measured, with why."""
    failed, unseen = cmp.failed, cmp.not_measured
    what = (f"--max-regression {cmp.gate.text}" if cmp.gate.text != "0"
            else "any significant regression")
    left = (f" (not gated, measured by neither run: "
            f"{', '.join(c.metric for c in cmp.not_gated)})" if cmp.not_gated else "")
    if not failed and not unseen:
        return f"gate ({what}): passed{left}"
    parts = []
    if failed:
        parts.append("FAILED on " + ", ".join(f"{c.metric} {delta_text(c)}" for c in failed))
    if unseen:
        parts.append(("FAILED: " if not failed else "") + "not measured: "
                     + "; ".join(str(u) for u in unseen))
    return f"gate ({what}): " + "; ".join(parts) + left


def raw_lines(cmp: Comparison) -> list[str]:
    out = []
    for c in cmp.metrics:
        b = " ".join(value(v, c.metric) for v in c.base.values) or NULL
        k = " ".join(value(v, c.metric) for v in c.candidate.values) or NULL
        out.append(f"{c.metric:<16} base: {b}   candidate: {k}")
    return out


def note_lines(cmp: Comparison) -> list[str]:
    """Each note once, with the metrics it applies to ("every metric" when all)."""
    by_text: dict[str, list[str]] = {}
    for c in cmp.metrics:
        for n in [*c.notes, *([f"no CI: {c.ci_note}"] if c.ci_note else [])]:
            by_text.setdefault(n, []).append(c.metric)
    every = len(cmp.metrics) > 1
    load = load_note(cmp.base.result, cmp.candidate.result)
    return [*([load] if load else []),
            *(f"{'every metric' if every and len(ms) == len(cmp.metrics) else ', '.join(ms)}: "
              f"{n}" for n, ms in by_text.items())]


def render_text(cmp: Comparison) -> str:
    parts = [f"base:      {run_title(cmp.base)}", f"candidate: {run_title(cmp.candidate)}", "",
             table(HEAD, rows(cmp)), "", "every completed trial, in order:",
             *("  " + line for line in raw_lines(cmp))]
    notes = note_lines(cmp)
    if notes:
        parts += ["", "notes:", *("  " + n for n in notes)]
    parts += ["", f"lower is better for every metric; p < {cmp.alpha} is significant; "
              f"CI: percentile bootstrap, seed {cmp.seed}", gate_text(cmp)]
    return "\n".join(parts)


def render_markdown(cmp: Comparison) -> str:
    def md_row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    parts = ["## chaos compare", "", f"- base: `{run_title(cmp.base)}`",
             f"- candidate: `{run_title(cmp.candidate)}`", "", md_row(HEAD),
             md_row(["---"] * len(HEAD)), *(md_row(r) for r in rows(cmp)), "",
             "<details><summary>every completed trial</summary>", "", "```",
             *raw_lines(cmp), "```", "", "</details>", ""]
    notes = note_lines(cmp)
    if notes:
        parts += ["Notes:", "", *(f"- {n}" for n in notes), ""]
    parts += [f"Lower is better for every metric; p < {cmp.alpha} (two-sided Mann-Whitney U) "
              f"is significant; CI: percentile bootstrap of the difference of medians, "
              f"seed {cmp.seed}.", "", f"**{gate_text(cmp)}**", ""]
    return "\n".join(parts)


def _json_value(x: float | None, metric: str = "") -> Any:
    if x is None or math.isfinite(x):
        return x
    return worst_name(metric) if x > 0 else "no impact"


def _spread_json(s: Spread | None, metric: str) -> dict[str, Any] | None:
    if s is None:
        return None
    return {k: _json_value(getattr(s, k), metric)
            for k in ("n", "median", "q1", "q3", "iqr", "min", "max")}


def render_json(cmp: Comparison) -> str:
    def side(entry: RunEntry) -> dict[str, Any]:
        r, sc = entry.result, entry.result.scenario
        return {"dir": str(entry.dir), "run_id": r.run_id, "label": r.label,
                "scenario": {"name": sc.name, "file": sc.file, "sha256": sc.sha256,
                             "git_commit": sc.git_commit}}

    metrics = [{
        "metric": c.metric, "verdict": c.verdict, "needed_per_side": c.needed_per_side,
        "base": {"trials": c.base.trials, "values": c.base.raw, "nulls": c.base.nulls,
                 "excluded": c.base.excluded, "spread": _spread_json(c.base_spread, c.metric)},
        "candidate": {"trials": c.candidate.trials, "values": c.candidate.raw,
                      "nulls": c.candidate.nulls, "excluded": c.candidate.excluded,
                      "spread": _spread_json(c.candidate_spread, c.metric)},
        "difference_of_medians": _json_value(c.difference, c.metric),
        "relative": _json_value(c.relative, c.metric),
        "ci95": list(c.ci) if c.ci else None, "ci_note": c.ci_note, "p": c.p,
        "effect": c.effect, "gate_exceeded": cmp.gate.exceeded(c), "notes": c.notes,
    } for c in cmp.metrics]
    doc = {"base": side(cmp.base), "candidate": side(cmp.candidate), "alpha": cmp.alpha,
           "seed": cmp.seed, "max_regression": cmp.gate.text, "metrics": metrics,
           "regressions_beyond_gate": [c.metric for c in cmp.failed],
           "not_measured": [{"metric": u.metric, "why": u.why} for u in cmp.not_measured],
           "not_gated": [c.metric for c in cmp.not_gated], "gate_passed": cmp.passed,
           "load_note": load_note(cmp.base.result, cmp.candidate.result)}
    return json.dumps(doc, indent=2)
