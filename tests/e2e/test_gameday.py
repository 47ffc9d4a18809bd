"""A game day end to end: real lab, a real browser on the live page, people's marks.

The database is paused for 10 s; recovery is manual. Headless Chromium opens
the live page, watches the chart grow, clicks "detected" and "recovered";
`chaos mark` from a second process adds a note; the facilitator ends the trial
with the page's End button. The marks must be in result.json at the instants
they were clicked, and the post-mortem must set people next to the alerts.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from chaos.live.controls import QUIET_S
from chaos.trial.schedules import SAMPLE_EVERY
from tests.browser import Browser
from tests.e2e.conftest import CHAOS, REPO, load_result, run_chaos, shorten

pytestmark = pytest.mark.docker

BACKDATED = {"mitigated", "recovered", "detector_fired"}
ARTIFACTS = REPO / "reports" / "test-artifacts"   # screenshots kept for people to look at


def gameday_scenario(tmp: Path) -> Path:
    def edit(doc):
        doc["name"] = "game day: database paused"
        doc["load"].update(users=10, spawn_rate=10)
        doc["faults"] = [{"type": "pause", "target": "db", "at": "6s", "duration": "10s"}]
        doc["detect"] = [d for d in doc["detect"] if d["type"] == "error_rate"]
        doc["recovery"] = {"trigger": "on_detect", "steps": [{"wait": "1s"}]}   # --gameday wins
        doc["steady_state"] = {"error_rate": {"below": "1%", "for": "3s"}}

    path, _ = shorten("db-pause.yaml", tmp, edit)
    return path


class Run:
    """`chaos run --gameday` in the background, its output collected line by line."""

    def __init__(self, scenario: Path, out: Path) -> None:
        self.proc = subprocess.Popen([*CHAOS, "run", str(scenario), "--gameday", "--out", str(out)],
                                     cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_line(self, pattern: str, timeout: float = 180) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if m := re.search(pattern, line):
                    return m
            if self.proc.poll() is not None and not any(re.search(pattern, x) for x in self.lines):
                break
            time.sleep(0.2)
        raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines[-40:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()   # the run tears its lab down on SIGTERM
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def click(page, selector: str) -> float:
    """Click a button the way a person would (its onclick runs); returns the wall time."""
    before = time.time()
    page.eval(f"document.querySelector({json.dumps(selector)}).click()")
    return (before + time.time()) / 2


def wall(event: dict) -> float:
    return datetime.fromisoformat(event["wall"]).timestamp()


def live_state(url: str) -> dict:
    """What the live page itself polls: ``GET /api/state``."""
    with urllib.request.urlopen(f"{url}api/state", timeout=5) as resp:
        return json.loads(resp.read())


def wait_until(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    """Poll ``check`` until it holds; fail after ``timeout`` seconds, saying what was awaited."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"still not {what} after {timeout} s")
        time.sleep(0.2)


def users_see_the_fault(state: dict) -> bool:
    """A second of load after the fault with failures, or with no answers at all (the
    database is paused): what a person watching the page notices."""
    t_fault = (state.get("status") or {}).get("t_fault")
    return t_fault is not None and any(
        s["t"] > t_fault and (s["failed"] > 0 or s["requests"] == 0) for s in state["samples"])


def errors_have_stopped(state: dict) -> bool:
    """Since the fault was reverted, the newest samples have answers and no failure, for
    longer than the live controls' QUIET_S: a ``recovered`` mark now is not premature."""
    reverted = [e["t"] for e in state["events"] if e["kind"] == "fault_reverted"]
    if not reverted:
        return False
    quiet = 0
    for s in reversed(state["samples"]):
        if s["t"] <= reverted[0] or s["failed"] > 0 or s["requests"] == 0:
            break
        quiet += 1
    return quiet * SAMPLE_EVERY > QUIET_S


def test_gameday_marks_from_the_live_page_and_a_second_terminal(tmp_path, lab_images):
    out = tmp_path / "run"
    run = Run(gameday_scenario(tmp_path), out)
    try:
        url = run.wait_line(r"live page: (http://127\.0\.0\.1:\d+/)").group(1)
        run_id = run.wait_line(r"^run (\S+):").group(1)
        with Browser() as browser:
            page = browser.open(url)
            page.wait_for("window.chaosLive && chaosLive.samples >= 2", timeout=180)
            before = page.eval("Number(document.querySelector('#chart').dataset.samples)")
            page.wait_for("Number(document.querySelector('#chart').dataset.samples) >= "
                          f"{before + 2}", timeout=30)
            after = page.eval("Number(document.querySelector('#chart').dataset.samples)")
            assert after >= before + 2, "the chart did not grow"
            inked = page.eval("""(() => { const c = document.querySelector('#chart');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
                return n; })()""")
            assert inked > 1000, "nothing drawn on the chart"

            page.wait_for("[...document.querySelectorAll('#events li')]"
                          ".some(li => li.dataset.kind === 'fault_injected')", timeout=60)
            wait_until("seeing the fault on the page", lambda: users_see_the_fault(live_state(url)),
                       timeout=30)
            clicked = {"detected": click(page, "#mark-detected")}
            page.wait_for("/detected recorded/"
                          ".test(document.querySelector('#feedback').textContent)")

            # A second terminal: `chaos mark` finds the run by itself (--run only to be sure
            # we mark ours if someone else's run is going on on this machine).
            t_cli = time.time()
            proc = run_chaos("mark", "note", "--note", "DBA paged from terminal 2", "--run", run_id,
                             timeout=60)
            assert proc.returncode == 0, proc.stderr
            assert "marked note" in proc.stdout
            page.wait_for("!!document.querySelector('#events li[data-mark=note]')", timeout=5)
            cli_visible_s = time.time() - t_cli

            page.wait_for("[...document.querySelectorAll('#events li')]"
                          ".some(li => li.dataset.kind === 'fault_reverted')", timeout=60)
            wait_until("quiet after the revert", lambda: errors_have_stopped(live_state(url)),
                       timeout=60)
            clicked["recovered"] = click(page, "#mark-recovered")
            page.wait_for("/recovered recorded/"
                          ".test(document.querySelector('#feedback').textContent)")
            page.wait_for("[...document.querySelectorAll('#events li')]"
                          ".some(li => li.dataset.kind === 'recovered')", timeout=30)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(ARTIFACTS / "live-page.png")
            latencies = page.eval("chaosLive.latencies")
            click(page, "#mark-end")
            click(page, "#mark-end")   # two clicks: a stray one must not end a game day
        assert run.proc.wait(timeout=120) in (0, 1), "\n".join(run.lines[-40:])
    finally:
        run.stop()

    result = load_result(out)
    trial = result["trials"][0]
    marks = {e["mark"]: e for e in trial["events"] if e["kind"] == "mark"}
    assert set(marks) == {"detected", "note", "recovered", "end"}
    for kind, when in clicked.items():
        assert abs(wall(marks[kind]) - when) <= 1.0, (kind, marks[kind]["wall"], when)
    assert marks["note"]["by"] == "cli" and marks["detected"]["by"] == "page"
    assert marks["recovered"]["premature"] is False     # the db had thawed and errors stopped
    assert trial["end_reason"] == "recovered" and trial["ttr_s"] is not None
    fault_t = next(e["t"] for e in trial["events"] if e["kind"] == "fault_injected")
    assert trial["human_ttd_s"] == pytest.approx(marks["detected"]["t"] - fault_t, abs=0.01)
    assert trial["ttd_s"] is not None
    assert [e for e in trial["events"] if e["kind"] == "fault_reverted"]

    postmortem = (out / "postmortem.md").read_text()
    assert "## People and alerts" in postmortem
    assert "noticed (time to detect)" in postmortem
    clock = datetime.fromisoformat(marks["detected"]["wall"]).strftime("%H:%M:%S")
    assert re.search(rf"\*\*{clock}\.\d{{3}} [^*]+\*\* \(fault \+[\d.]+ s\) — detected", postmortem)
    assert "DBA paged from terminal 2" in postmortem
    assert "People and alerts" in (out / "report.html").read_text()
    assert (out / "chart.png").stat().st_size > 10_000
    for name in ("report.html", "postmortem.md", "chart.png"):
        shutil.copy(out / name, ARTIFACTS / f"gameday-{name}")

    # Update latency of the page: an event's wall time -> the poll that showed it. Only
    # events stamped when they happen: `mitigated`, `recovered` and an alert are dated
    # back to the instant they describe, once the later observations confirm it.
    live = [x for x in latencies if x["kind"] not in BACKDATED]
    ms = sorted(x["ms"] for x in live)
    print(f"\nlive page latency over {len(ms)} events: median {ms[len(ms) // 2]} ms, "
          f"worst {ms[-1]} ms ({latencies}); `chaos mark` (process start included) to "
          f"visible on the page: {cli_visible_s:.2f} s")
    assert ms[-1] < 2500
