"""A blind game day: the fault chosen from a seed, and nothing of it sent to responders or
observers before the reveal (the real server, in this process, every byte captured)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from chaos.errors import ScenarioError
from chaos.live import open_live
from chaos.live.access import Role
from chaos.live.blind import NEVER, blind_trial
from chaos.live.rolecut import BLIND_NAME
from chaos.measure.steady import SteadyStateTracker
from chaos.measure.timeline import Clock, Timeline
from chaos.scenario import load_scenario
from chaos.trial import Trial, TrialContext
from tests.liveclient import Participant

REPO = Path(__file__).parents[2]
SCENARIO = """\
name: Zanzibar frozen for twenty seconds
description: Quokka halts the database; the app serves 500s.
lab: {{compose: {compose}}}
load: {{users: 1, requests: [{{path: /health}}]}}
faults:
  - {{type: pause, target: db, at: 5s, duration: 20s}}
  - {{type: kill, target: app, at: 5s}}
detect:
  - {{name: user-facing errors, type: error_rate, window: 5s, above: 5%, for: 1s}}
recovery:
  steps:
    - wait: 0.1s
steady_state:
  error_rate: {{below: 1%, for: 2s}}
time_limit: 2m
gameday: {{blind: true, window: [10s, 40s], choose: {choose}, expect: {{human_ttd: 5m}}}}
"""


def blind_scenario(tmp_path: Path, choose: str = "random", extra: str = ""):
    path = tmp_path / f"blind-{choose}.yaml"
    path.write_text(SCENARIO.format(compose=REPO / "compose" / "docker-compose.yml",
                                    choose=choose) + extra)
    return load_scenario(path)


def test_the_section_is_checked_with_the_rest(tmp_path):
    sc = blind_scenario(tmp_path)
    assert sc.gameday.blind and sc.gameday.window == [10.0, 40.0]
    assert sc.gameday.expect.human_ttd == 300.0
    for wrong, says in [("window: [50s, 1m50s]", "ends after time_limit"),
                        ("window: [40s, 10s]", "the start comes after the end"),
                        ("choose: {choose}, blind: maybe", "gameday.blind"),
                        ("choose: dice", "'random' or 'facilitator'"),
                        ("choose: {choose}, blnd: true", "did you mean 'blind'")]:
        old = "choose: {choose}" if "choose" in wrong else "window: [10s, 40s]"
        path = tmp_path / "bad.yaml"
        path.write_text(SCENARIO.replace(old, wrong).replace(", blind: true, ", ", ").format(
            compose=REPO / "compose" / "docker-compose.yml", choose="random"))
        with pytest.raises(ScenarioError, match=re.escape(says)) as err:
            load_scenario(path)
        assert "bad.yaml:16: gameday" in str(err.value)


def test_a_random_choice_is_one_of_the_faults_in_the_window_and_replays(tmp_path):
    sc = blind_scenario(tmp_path)
    seen = set()
    for n in range(1, 40):
        one, choice = blind_trial(sc, seed=7, n=n)
        assert choice is not None and len(one.faults) == 1
        assert 10.0 <= one.faults[0].at <= 40.0 and one.faults[0].at == choice["at_s"]
        assert sc.faults[choice["index"]].type == one.faults[0].type == choice["fault"]
        assert blind_trial(sc, seed=7, n=n)[1] == choice   # the seed replays it
        seen.add(choice["fault"])
    assert seen == {"pause", "kill"}
    assert blind_trial(sc, seed=8, n=1)[1] != blind_trial(sc, seed=7, n=1)[1]


def test_the_facilitator_chooses_and_injects_from_the_page(tmp_path):
    sc, choice = blind_trial(blind_scenario(tmp_path, "facilitator"), seed=1, n=1)
    assert choice == {"seed": 1, "choose": "facilitator"}
    assert all(f.at == NEVER for f in sc.faults)
    t = make_trial(tmp_path, sc)
    live = open_live("x", sc, tmp_path, lambda line: None)
    try:
        live.board.attach(1, t)
        boss = Participant(live.url, live.access.tokens[Role.FACILITATOR])
        responder = Participant(live.url, live.access.tokens[Role.RESPONDER])
        assert [c["type"] for c in boss.get_json("/api/state")["choices"]] == ["pause", "kill"]
        assert "choices" not in responder.get_json("/api/state")
        status, answer = boss.post("/api/inject", {"index": 1, "by": "lee"})
        assert status == 200 and answer == {"index": 1, "fault": "kill"}
        assert 1 in t.faults.now_due
    finally:
        live.close()


def make_trial(tmp_path: Path, sc) -> Trial:
    clock = Clock()
    timeline = Timeline(clock, tmp_path / "timeline.jsonl", trial=1)
    ctx = TrialContext(scenario=sc, lab=None, clock=clock, timeline=timeline, backups=None,
                       app_url="http://127.0.0.1:9", db_dsn="", workdir=tmp_path / "trial-1")
    return Trial(ctx)


def inject(t: Trial, choice: dict) -> dict:
    """What the fault schedule writes when it injects (``chaos.trial.faultschedule``)."""
    now = t.ctx.clock.now()
    t.state.t_fault = now
    t.state.steady = SteadyStateTracker(0.01, 2.0, since=now)
    tl = t.ctx.timeline
    tl.add("blind_choice", **choice)
    tl.add("baseline_held", t=now, window_s=5.0)   # as Trial._baseline_holds: the same t
    event = tl.add("fault_injected", t=now, fault="pause", index=0)
    tl.add("fault_applied", fault="pause", index=0, target="db", container="chaos-x-db-1")
    tl.sample(t=round(now, 2), requests=10, failed=4, p95_ms=900.0)
    tl.add("impact", indicator="errors")
    return event


def secrets_of(event: dict, sc) -> dict[str, re.Pattern[bytes]]:
    """What must not reach a blind participant, as patterns over the raw bytes."""
    return {
        "type": re.compile(rb"pause", re.I),
        "target": re.compile(rb"\bdb\b|chaos-x-db"),
        "instant": re.compile(re.escape(repr(event["t"]).encode())),
        "wall": re.compile(re.escape(event["wall"][:23].encode())),
        "name": re.compile(re.escape(sc.name.encode())),
        "description": re.compile(rb"Quokka"),
    }


def test_nothing_revealing_reaches_responders_or_observers_before_the_reveal(tmp_path):
    base = blind_scenario(tmp_path)
    sc, choice = blind_trial(base, seed=3, n=1)
    sc = sc.model_copy(update={"faults": [base.faults[0]]})   # the pause on db, for sure
    t = make_trial(tmp_path, sc)
    live = open_live("20261206-000000-blind-db-pause", sc, tmp_path, lambda line: None)
    try:
        live.board.attach(1, t)
        people = {role: Participant(live.url, live.access.tokens[role], name=str(role))
                  for role in (Role.RESPONDER, Role.OBSERVER)}
        boss = Participant(live.url, live.access.tokens[Role.FACILITATOR])
        streams = {role: p.listen() for role, p in people.items()}
        for s in streams.values():
            s.__enter__()
        for role, p in people.items():
            assert p.post("/api/join", {"name": f"{role}-person"})[0] == 200
            assert p.get("/")[0] == 200
        event = inject(t, choice)
        live.board.tick(t)
        people[Role.RESPONDER].post("/api/mark", {"mark": "detected", "by": "ana"})
        people[Role.RESPONDER].post("/api/mark", {"mark": "diagnosis", "by": "ana",
                                                  "note": "connections hang somewhere"})
        for _ in range(5):   # the live stream's updates as the trial goes
            live.board.tick(t)
            for p in people.values():
                p.get("/api/state")
            time.sleep(0.05)
        for s in streams.values():
            s.wait_for(lambda m: any(e.get("mark") == "diagnosis"
                                     for e in m[1].get("events", [])))
        before = {role: bytes(p.received) for role, p in people.items()}
        state = people[Role.OBSERVER].get_json("/api/state")
        assert state["scenario"]["name"] == BLIND_NAME and state["run_id"] == ""
        assert state["samples"] and any(e.get("mark") == "detected" for e in state["events"])
        assert "faults" not in state["status"] and "t_fault" not in state["status"]
        facilitator_view = bytes(boss.get("/api/state")[1])
        patterns = secrets_of(event, sc)
        for name, pattern in patterns.items():   # the capture would see each of them
            assert pattern.search(facilitator_view), name
        for role, data in before.items():
            assert len(data) > 5000
            for name, pattern in patterns.items():
                assert not pattern.search(data), f"{role} received the fault's {name}"

        assert boss.post("/api/reveal", {"by": "lee"})[0] == 200
        assert boss.post("/api/reveal", {"by": "lee"})[0] == 409    # once
        for role, s in streams.items():
            revealed = s.wait_for(lambda m: any(e.get("kind") == "revealed"
                                                for e in m[1].get("events", [])))
            assert revealed[0] == "state"   # the cut changed: everything again
            after = bytes(people[role].received)[len(before[role]):]
            assert patterns["type"].search(after) and patterns["name"].search(after)
        for s in streams.values():
            s.close()
    finally:
        live.close()


def test_the_facilitator_cannot_reveal_between_trials(tmp_path):
    sc, _ = blind_trial(blind_scenario(tmp_path), seed=3, n=1)
    live = open_live("y", sc, tmp_path, lambda line: None)
    try:
        boss = Participant(live.url, live.access.tokens[Role.FACILITATOR])
        status, body = boss.post("/api/reveal", {"by": "lee"})
        assert status == 409 and "no trial" in body["error"]
    finally:
        live.close()


def test_expectations_become_targets_and_only_responders_count(tmp_path):
    from chaos.live import as_gameday
    from chaos.measure.metrics import RequestCounts, compute
    from chaos.measure.targets import evaluate

    sc = as_gameday(blind_scenario(tmp_path))
    targets = sc.targets.model_dump(exclude_none=True)
    assert targets == {"human_ttd": 300.0} and sc.recovery.trigger == "manual"
    events = [{"t": 10.0, "kind": "fault_injected"},
              {"t": 11.0, "kind": "mark", "mark": "detected", "by": "lee", "role": "facilitator"},
              {"t": 14.0, "kind": "detector_fired", "name": "errors"},
              {"t": 12.5, "kind": "mark", "mark": "detected", "by": "ana", "role": "responder"},
              {"t": 13.0, "kind": "mark", "mark": "diagnosis", "by": "bo", "role": "responder",
               "note": "the db hangs", "wall": "w"}]
    events.sort(key=lambda e: e["t"])
    m = compute(events, RequestCounts(total=1))
    assert (m.human_ttd_s, m.human_ttd_by, m.ttd_s, m.human_vs_alert_s) == (2.5, "ana", 4.0,
                                                                             -1.5)
    assert m.diagnoses == [{"t_s": 3.0, "wall": "w", "by": "bo", "note": "the db hangs"}]
    [target] = evaluate(m.as_dict(), targets)
    assert target["metric"] == "human_ttd" and target["passed"] is True
    [missed] = evaluate({"human_ttd_s": None, "impact": True}, targets)
    assert missed["passed"] is False and "never marked" in missed["note"]


def test_before_the_first_trial_a_blind_run_says_nothing_either(tmp_path):
    sc, _ = blind_trial(blind_scenario(tmp_path), seed=3, n=1)
    live = open_live("20261206-000000-blind-db-pause", sc, tmp_path, lambda line: None)
    try:
        observer = Participant(live.url, live.access.tokens[Role.OBSERVER])
        with observer.listen() as stream:
            stream.wait_for(lambda m: m[0] == "state")
            observer.get("/api/state")
            observer.get("/")
        data = bytes(observer.received)
        assert b"Zanzibar" not in data and b"Quokka" not in data and b"db-pause" not in data
        boss = Participant(live.url, live.access.tokens[Role.FACILITATOR]).get("/api/state")[1]
        assert b"Zanzibar" in boss
    finally:
        live.close()
