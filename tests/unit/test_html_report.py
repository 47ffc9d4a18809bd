"""report.html, chart.png and the game-day post-mortem, from a stored run record."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chaos.report import render_all

SAMPLE = Path(__file__).parents[1] / "data" / "runs" / "seed-sample"
ARTIFACTS = Path(__file__).parents[2] / "reports" / "test-artifacts"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(SAMPLE, out)
    return out


class Outline(HTMLParser):
    """Tags, the external resources the page would load, and the tables' cell text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.external: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def outline(path: Path) -> Outline:
    parser = Outline()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


@pytest.mark.slow   # a pytest or chaos subprocess, or matplotlib charts: seconds
def test_report_html_is_one_offline_file_with_charts_and_the_targets_table(run_dir: Path):
    render_all(run_dir)
    page = run_dir / "report.html"
    doc = outline(page)
    assert doc.tags.get("svg", 0) >= 1 and doc.tags.get("path", 0) > 10   # a drawn chart
    assert doc.external == [], "report.html must open offline"
    assert "script" not in doc.tags
    targets = doc.tables[0]
    assert targets[0] == ["metric", "observed", "target", "result"]
    rows = {r[0].split(" —")[0]: r for r in targets[1:]}
    assert rows["ttd"][1:] == ["2.419 s", "≤ 30 s", "PASS"]
    assert rows["data_loss"][1:] == ["165", "≤ 0", "FAIL"]
    text = page.read_text()
    for phase in ("fault active", "detected", "mitigated", "recovered"):
        assert phase in text
    assert "alert: user-facing errors" in text          # events are named on the chart
    assert "01:32:50.275 UTC" in text                   # the timeline, with clock times
    assert "Corrective and preventive measures" in text
    size = page.stat().st_size
    print(f"report.html: {size} bytes")
    assert size < 1_000_000


def test_postmortem_embeds_the_main_chart_as_png(run_dir: Path):
    render_all(run_dir)
    png = (run_dir / "chart.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert "](chart.png)" in (run_dir / "postmortem.md").read_text()


@pytest.mark.slow   # a pytest or chaos subprocess, or matplotlib charts: seconds
def test_several_trials_get_a_row_of_charts_each_and_the_distributions(run_dir: Path):
    result = json.loads((run_dir / "result.json").read_text())
    trial_1 = [json.loads(line) for line in (run_dir / "timeline.jsonl").read_text().splitlines()]
    first = result["trials"][0]
    with open(run_dir / "timeline.jsonl", "a") as f:
        for n, shift in ((2, 1.5), (3, -0.8)):   # the same trial again, a little faster or slower
            result["trials"].append({**first, "trial": n, "ttr_s": first["ttr_s"] + shift,
                                     "events": []})
            f.writelines(json.dumps({**rec, "trial": n}) + "\n" for rec in trial_1)
    (run_dir / "result.json").write_text(json.dumps(result))
    render_all(run_dir)
    text = (run_dir / "report.html").read_text()
    for n in (1, 2, 3):
        assert f'id="trial-{n}-chart"' in text
    assert 'aria-label="distribution"' in text
    assert outline(run_dir / "report.html").tags["svg"] == 4


@pytest.mark.slow
def test_screenshot_of_report_html_is_not_blank(run_dir: Path, tmp_path: Path):
    from matplotlib.image import imread

    from tests.browser import screenshot_file

    render_all(run_dir)
    shot = screenshot_file((run_dir / "report.html").as_uri(), tmp_path / "report.png")
    pixels = imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    flat = pixels.reshape(-1, pixels.shape[-1])
    assert (flat != flat[0]).any(axis=1).mean() > 0.02, "the screenshot is one colour"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report-html.png")


def mark(run_dir: Path, t: float, wall: str, kind: str, **extra) -> None:
    with open(run_dir / "timeline.jsonl", "a") as f:
        f.write(json.dumps({"t": t, "wall": wall, "kind": "mark", "trial": 1, "mark": kind,
                            **extra}) + "\n")


def test_gameday_postmortem_lists_marks_with_clock_times_and_human_vs_alert_ttd(run_dir: Path):
    mark(run_dir, 21.0, "2026-11-30T01:32:53.840+00:00", "detected", note="pager went off",
         by="page")
    mark(run_dir, 21.9, "2026-11-30T01:32:54.740+00:00", "recovered", by="cli", premature=True)
    render_all(run_dir)
    text = (run_dir / "postmortem.md").read_text()
    people = text[text.index("## People and alerts"):text.index("## Root Cause")]
    # Human TTD 21.0 - 15.0159 = 6.0 s next to the alert's 2.4 s, each with its clock time.
    assert ("| noticed (time to detect) | 6.0 s at 01:32:53.840 UTC | 2.4 s (user-facing "
            "errors, at 01:32:50.275 UTC) |") in people
    assert "- **01:32:53.840 UTC** (fault +6.0 s) — detected: pager went off (from page)" in people
    assert "**01:32:54.740 UTC** (fault +6.9 s) — recovered (from cli) — **premature**" in people
    assert "1 premature mark" in people
    html = (run_dir / "report.html").read_text()
    assert "People and alerts" in html and "pager went off" in html
