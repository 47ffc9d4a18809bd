"""Control characters from a scenario never reach a terminal or a report raw."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chaos.printable import printable
from chaos.report import render_all
from tests.cli_helpers import run_main

REPO = Path(__file__).parents[2]
SAMPLE = REPO / "tests" / "data" / "runs" / "seed-sample"
HOSTILE = "shop \x1b]0;pwned\x07\x1b[2J\x1b[31mred\u202etxt.exe\x00 end"


@pytest.mark.parametrize("text, shown", [
    ("plain\ttext\nnext line", "plain\ttext\nnext line"),
    ("\x1b[2J", "\\x1b[2J"), ("a\x00b", "a\\x00b"), ("\x9b31m", "\\x9b31m"),
    ("x\u202ey", "x\\u202ey"), ("l\u2028m", "l\\u2028m"),
    ("caf\u00e9 \u65e5\u672c", "caf\u00e9 \u65e5\u672c"),
])
def test_printable(text, shown):
    assert printable(text) == shown


def unsafe(text: str) -> list[str]:
    return sorted({c for c in text if printable(c) != c})


def test_validate_prints_a_hostile_name_escaped(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: {json.dumps(HOSTILE)}\n"
        f"lab: {{compose: {REPO / 'compose' / 'docker-compose.yml'}}}\n"
        "load: {users: 1, requests: [{path: /health}]}\n"
        "faults: [{type: pause, target: db, at: 1s, duration: 5s}]\n"
        "recovery: {trigger: none}\n")
    code, out = run_main(["validate", str(path)])
    assert code == 0, out
    assert "pwned" in out and "\\x1b]0;" in out
    assert unsafe(out) == []


def test_reports_escape_a_hostile_name(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(SAMPLE, run)
    result = json.loads((run / "result.json").read_text())
    result["scenario"]["name"] = HOSTILE
    (run / "result.json").write_text(json.dumps(result))
    render_all(run)
    for name in ("postmortem.md", "report.html", "junit.xml"):
        text = (run / name).read_text()
        assert "pwned" in text, name
        assert unsafe(text) == [], name
