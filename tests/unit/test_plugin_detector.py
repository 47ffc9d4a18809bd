"""A third-party detector that brings its own record section, post-mortem paragraph and
chart (tests/plugins/slowpage/), through the real path: found by the registry from
its entry point on ``sys.path``, built from a validated scenario entry, recorded by
``chaos.trial.recorded.detector_record``, read back by ``load_result`` and rendered
by ``render_all``, in a process of its own (the registry loads its plugins once).
The recipe it follows is docs/architecture.md's "A detector with its own record
section"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chaos.record import load_result

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "tests" / "plugins" / "slowpage"
SAMPLE = ROOT / "tests" / "data" / "runs" / "seed-sample"

SCRIPT = r'''
import json, sys
from pathlib import Path

from chaos.build import build
from chaos.errors import ReportError
from chaos.parts import SectionFacts
from chaos.record import load_result
from chaos.partregistry import detectors
from chaos.report import render_all
from chaos.scenario.specs import DetectorSpec
from chaos.trial.recorded import detector_record

run = Path(sys.argv[1])
spec = DetectorSpec.model_validate({"type": "slow_page", "name": "slow pages",
                                    "above": "0.2s", "count": 2})
d = build("detector", spec, None)
for end, latency in [(16.0, 0.1), (16.5, 0.4), (17.0, 0.9)]:
    d.observe(end, True, latency)
notes = []
rec = detector_record(d, SectionFacts(t_fault=15.0159, impact_t=15.2), notes)
result = json.loads((run / "result.json").read_text())
result["trials"][0]["detectors"].append(rec.as_dict())
result["trials"][0]["notes"] += notes
(run / "result.json").write_text(json.dumps(result, indent=2))
written = [p.name for p in render_all(run)]
result["trials"][0]["detectors"][-1]["slow"]["slow"] = "many"
(run / "damaged.json").write_text(json.dumps(result))
try:
    load_result(run / "damaged.json")
    refused = None
except ReportError as exc:
    refused = str(exc)
print(json.dumps({"module": type(d).__module__, "written": written, "notes": notes,
                  "refused": refused}))
'''


@pytest.mark.slow   # a chaos subprocess and matplotlib charts: seconds
def test_a_plugin_detector_brings_its_own_record_report_and_chart(tmp_path: Path):
    run = tmp_path / "run"
    shutil.copytree(SAMPLE, run)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(PLUGIN)]),
           "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(run)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["module"] == "slowpage_detector"            # the plugin's, from its entry point
    # its record section, in its detector's entry, and the note it called for
    section = json.loads((run / "result.json").read_text())["trials"][0]["detectors"][-1]
    assert section["type"] == "slow_page" and section["fired_t"] == 17.0
    assert section["slow"] == {"above_s": 0.2, "slow": 2, "slowest_s": 0.9,
                               "first_slow_t": 16.5, "after_fault_s": 1.484}
    assert out["notes"] == ["detector slow pages: 2 answers slower than 0.2 s"]
    # its chart, written after chart.png; its paragraph and the chart in the post-mortem
    assert out["written"][:3] == ["postmortem.md", "chart.png", "slowpage.png"]
    assert (run / "slowpage.png").read_bytes()[:4] == b"\x89PNG"
    text = (run / "postmortem.md").read_text()
    assert "Slow pages, as the plugin saw them:\n\n- **slow pages** (trial 1): 2 slow " \
           "answers, the slowest 0.90 s, the first 1.5 s after the fault." in text
    assert "![Errors over the trial, the first slow page marked](slowpage.png)" in text
    html = (run / "report.html").read_text()
    assert "<h3>Slow pages, trial 1</h3>" in html
    assert "Errors users saw, the first slow answer marked." in html
    # where the plugin is installed, its section is checked at its path
    assert out["refused"] is not None and \
        "field 'trials[0].detectors[2].slow.slow' should be a whole number" in out["refused"]
    # where it is not (this process), the record still loads, its section kept as written
    kept = load_result(run / "result.json").as_dict()["trials"][0]["detectors"][-1]
    assert kept["slow"]["slowest_s"] == 0.9
