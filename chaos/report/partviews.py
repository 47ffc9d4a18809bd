"""What the parts of a run bring to its reports: their paragraphs of the post-mortem
(``report_section``) and their charts (``charts``), asked of the registry.

    for part in run_parts(run): part.report_section([t for t in run.trials])

The parts of a run are the detectors its trials recorded, the faults its scenario
planned and the recovery steps its timeline ran. A part not installed where the
report is rendered brings nothing: its record sections stay in result.json, and the
rest of the report renders. A hook that raises fails this renderer, loudly (exit 3),
after the others have written their files.
"""

from __future__ import annotations

from typing import Any

from chaos.partregistry import Registry, detectors, faults, steps
from chaos.parts import Chart, Part
from chaos.record import Run
from chaos.report.story import TrialStory


def _names(run: Run) -> list[tuple[Registry[Any], Any]]:
    found: list[tuple[Registry[Any], Any]] = []
    for trial in run.record.trials:
        found += [(detectors, d.type) for d in trial.detectors]
    found += [(faults, f.type) for f in run.record.scenario.faults]
    found += [(steps, e.get("step")) for events in run.events.values() for e in events
              if str(e.get("kind", "")).startswith("step_")]
    return found


def run_parts(run: Run) -> list[type[Part]]:
    """The installed parts this run used, each once, in the order first met."""
    parts: list[type[Part]] = []
    for registry, name in _names(run):
        part = registry.get(name) if isinstance(name, str) else None
        if part is not None and part not in parts:
            parts.append(part)
    return parts


def report_sections(run: Run, stories: list[TrialStory]) -> list[dict[str, Any]]:
    """Each part's paragraph, with the charts of it the post-mortem links."""
    out = []
    for part in run_parts(run):
        section = part.report_section([s.record for s in stories])
        if section is None:
            continue
        drawn = [{"file": c.file, "alt": c.alt} for c in part.charts
                 if any(c.shows(s) for s in stories)]
        out.append({"title": section.title, "lines": section.lines, "charts": drawn})
    return out


def run_charts(run: Run) -> list[Chart]:
    """Every chart the run's parts draw, each file once."""
    charts: dict[str, Chart] = {}
    for part in run_parts(run):
        for chart in part.charts:
            charts.setdefault(chart.file, chart)
    return list(charts.values())
