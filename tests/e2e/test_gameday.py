"""A blind game day end to end: a real lab, three real browsers at once, one per role.

The seed incident (a half-applied migration) lands at a random instant of the
window the scenario gives; nobody but the facilitator is told. Browser B (a
responder) marks *detected* and gives a diagnosis; browser C (an observer) sees
the mark appear with B's name; browser A (the facilitator) runs the runbook (the
restore, then the fixed script), reveals the fault and ends the trial. Meanwhile
a responder and an observer connected by plain HTTP keep every byte they are sent
(page, API, live stream): before the reveal, nothing of the fault is in it.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import CHAOS, REPO, load_result, shorten
from tests.liveclient import Participant
from tests.webdriver import chrome, click, type_into, wait_js

pytestmark = pytest.mark.docker

ARTIFACTS = REPO / "reports" / "test-artifacts"   # screenshots kept for people to look at
LINK = r"^\s+{role}\s+(https?://\S+\?key=\S+)$"


def blind_scenario(tmp: Path) -> Path:
    def edit(doc):
        doc["load"].update(users=10, spawn_rate=10)
        doc["backups"]["every"] = "4s"
        doc["detect"] = [d for d in doc["detect"] if d["type"] == "error_rate"]
        doc["recovery"] = {"steps": [{"restore_backup": "latest"},
                                     {"run_sql": doc["recovery"]["steps"][1]["run_sql"]}]}
        doc["steady_state"] = {"error_rate": {"below": "1%", "for": "3s"}}
        doc["gameday"] = {"blind": True, "window": ["10s", "14s"],
                          "expect": {"human_ttd": "1m", "human_ttr": "80s"}}
        doc.pop("targets", None)

    path, _ = shorten("half-applied-update.yaml", tmp, edit)
    return path


class Run:
    """`chaos run` in the background, its output collected line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([*CHAOS, "run", *args], cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_line(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if m := re.search(pattern, line):
                    return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines[-40:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()   # the run tears its lab down on SIGTERM
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def has_event(kind: str, **match: str) -> str:
    """A page expression: the timeline list shows an event like that."""
    cond = " && ".join([f"li.dataset.kind === {json.dumps(kind)}"]
                       + [f"li.dataset.{k} === {json.dumps(v)}" for k, v in match.items()])
    return f"[...document.querySelectorAll('#events li')].some(li => {cond})"


def leaks(data: bytes, secrets: dict[str, re.Pattern[bytes]]) -> list[str]:
    return [name for name, pattern in secrets.items() if pattern.search(data)]


def test_a_blind_game_day_with_a_browser_per_role(tmp_path, lab_images):
    out = tmp_path / "run"
    t_start = time.monotonic()
    run = Run(str(blind_scenario(tmp_path)), "--out", str(out))
    try:
        links = {role: run.wait_line(LINK.format(role=role)).group(1)
                 for role in ("facilitator", "responder", "observer")}
        base = links["observer"].split("?", 1)[0]
        tokens = {role: link.split("key=", 1)[1] for role, link in links.items()}
        spies = {role: Participant(base, tokens[role]) for role in ("responder", "observer")}
        streams = {role: p.listen(timeout=150) for role, p in spies.items()}
        for s in streams.values():
            s.__enter__()
        boss_api = Participant(base, tokens["facilitator"])
        with chrome() as a, chrome() as b, chrome() as c:
            for driver, role, name in ((a, "facilitator", "Lee"), (b, "responder", "Ana"),
                                       (c, "observer", "Oli")):
                driver.get(links[role])
                wait_js(driver, "window.chaosLive && chaosLive.updates > 0", timeout=120)
                type_into(driver, "#name", name)
                click(driver, "#join-button")
                wait_js(driver, f"/you are {name}/.test(document.querySelector('#me').textContent)")
                assert "key=" not in driver.current_url   # out of the address bar
            for p in spies.values():   # the page itself, as a browser gets it
                assert p.get("/")[0] == 200

            # The facilitator sees the fault land; the responder sees only the errors.
            wait_js(a, has_event("fault_injected"), timeout=90)
            state = boss_api.get_json("/api/state")
            injected = next(e for e in state["events"] if e["kind"] == "fault_injected")
            choice = next(e for e in state["events"] if e["kind"] == "blind_choice")
            assert 10 <= choice["at_s"] <= 14 and choice["fault"] == "half_applied_update"
            wait_js(b, "document.querySelector('#chart').dataset.samples > 0")
            wait_until_errors(spies["responder"])
            clicked = click(b, "#mark-detected")
            wait_js(c, has_event("mark", mark="detected", by="Ana"), timeout=10)
            seen_by_c = time.time() - clicked
            type_into(b, "#diagnosis", "we think the cause is a <b>migration</b> gone wrong")
            click(b, "#mark-diagnosis")
            wait_js(c, has_event("mark", mark="diagnosis", by="Ana"), timeout=10)

            # Every byte so far, and what the two browsers show: nothing of the fault.
            secrets = {"type": re.compile(rb"half_applied|half-applied", re.I),
                       "script": re.compile(rb"reprice", re.I),
                       "name": re.compile(rb"seed incident"),
                       "description": re.compile(rb"repricing migration", re.I),
                       "instant": re.compile(re.escape(repr(injected["t"]).encode())),
                       "wall": re.compile(re.escape(injected["wall"][:22].encode()))}
            for p in spies.values():
                p.get("/api/state")
            captured = {role: bytes(p.received) for role, p in spies.items()}
            for role, data in captured.items():
                assert len(data) > 10_000, role
                assert leaks(data, secrets) == [], f"{role} was sent {leaks(data, secrets)}"
            for driver, role in ((b, "responder"), (c, "observer")):
                text = driver.execute_script("return document.body.innerText "
                                             "+ JSON.stringify(window.chaosLive)").encode()
                assert leaks(text, secrets) == [], f"{role}'s page shows {leaks(text, secrets)}"
                assert driver.execute_script("return document.querySelector('#scenario')"
                                             ".textContent").startswith("game day (blind)")
            assert b.execute_script("return document.querySelector('#runbook').hidden")

            # The facilitator runs the runbook from the page, then reveals.
            wait_js(a, "!document.querySelector('#step-0').disabled")
            click(a, "#step-0")
            wait_js(a, "document.querySelector('#step-state-0').textContent === 'done'",
                    timeout=60)
            click(a, "#step-1")
            wait_js(a, "document.querySelector('#step-state-1').textContent === 'done'",
                    timeout=60)
            wait_js(c, has_event("recovered"), timeout=60)
            click(b, "#mark-recovered")
            click(a, "#reveal")
            wait_js(c, "!document.querySelector('#debrief').hidden", timeout=10)
            debrief = wait_js(c, "/half_applied_update/.test(document.querySelector("
                              "'#debrief').innerText) && document.querySelector('#debrief')"
                              ".innerText", timeout=10)
            assert "a <b>migration</b> gone wrong" in debrief and "Ana" in debrief
            assert c.execute_script("return document.querySelectorAll('#debrief b').length") == 0
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for driver, role in ((a, "facilitator"), (b, "responder"), (c, "observer")):
                driver.save_screenshot(str(ARTIFACTS / f"gameday-{role}.png"))
            click(a, "#mark-end")
            click(a, "#mark-end")   # two clicks: a stray one must not end a game day
            assert run.proc.wait(timeout=60) in (0, 1), "\n".join(run.lines[-40:])
        for s in streams.values():
            s.close()
    finally:
        run.stop()
    took = time.monotonic() - t_start

    result = load_result(out).as_dict()
    trial = result["trials"][0]
    kinds = [e["kind"] for e in trial["events"]]
    assert {"blind_choice", "revealed", "joined"} <= set(kinds)
    marks = {e["mark"]: e for e in trial["events"] if e["kind"] == "mark"}
    assert (marks["detected"]["by"], marks["detected"]["role"]) == ("Ana", "responder")
    assert marks["end"]["role"] == "facilitator"
    assert trial["human_ttd_by"] == "Ana" and trial["human_ttd_s"] is not None
    assert trial["ttd_s"] is not None
    assert trial["human_vs_alert_s"] == pytest.approx(trial["human_ttd_s"] - trial["ttd_s"],
                                                      abs=0.01)
    assert trial["diagnoses"][0]["by"] == "Ana"
    assert {t["metric"] for t in trial["targets"]} == {"human_ttd", "human_ttr"}
    postmortem = (out / "postmortem.md").read_text()
    assert "## Game day" in postmortem and "Ana (responder)" in postmortem
    assert "&lt;b&gt;migration&lt;/b&gt;" in postmortem    # people's text, never markup
    assert "Game day" in (out / "report.html").read_text()
    everything = [*(out.glob("*.json")), *(out.glob("*.jsonl")), *(out.glob("*.md")),
                  *(out.glob("*.html")), *(out.glob("*.xml"))]
    for path in everything:
        text = path.read_text()
        for role, token in tokens.items():
            assert token not in text, f"the {role} token is in {path.name}"
    last_link = max(i for i, line in enumerate(run.lines) if "?key=" in line)
    assert last_link <= 5, run.lines[:8]   # the start lines, and nowhere after them
    after_start = "\n".join(run.lines[last_link + 1:])
    assert not any(token in after_start for token in tokens.values())
    print(f"\nblind game day: human TTD {trial['human_ttd_s']} s (Ana) vs alert TTD "
          f"{trial['ttd_s']} s ({trial['human_vs_alert_s']:+} s); detected in B visible in "
          f"C after {seen_by_c * 1000:.0f} ms; whole test {took:.0f} s")
    assert took < 120


def wait_until_errors(responder: Participant, timeout: float = 60) -> None:
    """What a responder's chart shows: a second of load with failures."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        samples = responder.get_json("/api/state")["samples"]
        if any(s["failed"] > 0 for s in samples[-5:]):
            return
        time.sleep(0.3)
    raise AssertionError("the responder never saw errors")

