"""The orchestrator killed mid-game day: every mark people made so far is in
timeline.jsonl, once, with who made it; the record says the run was aborted (SIGTERM,
SIGINT: the run writes it) or did not finish (SIGKILL: nobody could write it, and
the report says so), and the report's Game day section still has the marks."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import yaml

from tests import shop
from tests.e2e.conftest import REPO, lab_cleanup, load_result, run_chaos  # noqa: F401
from tests.e2e.test_gameday import LINK, Run
from tests.liveclient import Participant

pytestmark = pytest.mark.docker

GAMEDAY = {
    "name": "database paused, a team on it",
    "lab": shop.lab(),
    "load": shop.load(5),
    "faults": [{"type": "pause", "target": "db", "at": "4s", "duration": "60s"}],
    "detect": [{"name": "errors", "type": "error_rate", "window": "5s", "above": "5%"}],
    "recovery": {"steps": [{"wait": "0.1s"}]},
    "time_limit": "2m",
    "gameday": {"expect": {"human_ttd": "1m"}},
}


def timeline_marks(out: Path) -> list[dict]:
    lines = (out / "timeline.jsonl").read_text().splitlines()
    return [r for r in (json.loads(x) for x in lines if x.strip()) if r.get("kind") == "mark"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_killed_mid_game_day_keeps_every_mark(tmp_path, lab_images, lab_cleanup, signum):  # noqa: F811
    path = tmp_path / "gameday.yaml"
    path.write_text(yaml.safe_dump(GAMEDAY, sort_keys=False))
    out = tmp_path / "run"
    run = Run(str(path), "--out", str(out), "--allow-outside-files")
    try:
        links = {role: run.wait_line(LINK.format(role=role), timeout=240).group(1)
                 for role in ("facilitator", "responder")}
        base = links["responder"].split("?", 1)[0]
        people = [Participant(base, links["responder"].split("key=", 1)[1], name=n)
                  for n in ("ana", "ben")]
        deadline = time.monotonic() + 300   # lab up + baseline on a loaded CI machine
        while not load_result(out).lab:   # the lab is up: tear it down whatever happens
            assert time.monotonic() < deadline
            time.sleep(0.5)
        lab_cleanup.append(load_result(out).lab.id)
        while True:   # the trial is open once marks are taken
            status, _ = people[0].post("/api/mark", {"mark": "detected", "by": "ana"})
            if status == 200:
                break
            assert status == 409 and time.monotonic() < deadline, status
            time.sleep(0.5)
        sent = [("detected", "ana")]
        for i in range(5):
            for p in people:
                note = f"{p.name} note {i}"
                assert p.post("/api/mark", {"mark": "note", "note": note, "by": p.name})[0] == 200
                sent.append(("note", p.name))
        assert people[1].post("/api/mark", {"mark": "diagnosis", "note": "db hangs",
                                            "by": "ben"})[0] == 200
        sent.append(("diagnosis", "ben"))
        run.proc.send_signal(signum)
        code = run.proc.wait(timeout=120)
    finally:
        run.stop()

    marks = timeline_marks(out)
    assert [(m["mark"], m["by"]) for m in marks] == sent     # each once, in order
    assert all(m["role"] == "responder" for m in marks)
    result = load_result(out).as_dict()
    report = run_chaos("report", str(out))
    assert "Traceback" not in report.stderr + report.stdout
    postmortem = (out / "postmortem.md").read_text()
    if signum == signal.SIGKILL:
        assert code == -signal.SIGKILL
        assert result["status"] == "running"       # nobody could write anything else
        assert "This run did not finish" in postmortem
    else:
        assert code == 130, "\n".join(run.lines[-30:])
        assert result["status"] == "aborted" and "interrupted" in result["abort_reason"]
        assert result["trials"][0]["status"] == "aborted"
        assert "This run was aborted" in postmortem
    assert "## Game day" in postmortem and "ben (responder)" in postmortem
    assert "db hangs" in postmortem
