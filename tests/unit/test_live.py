"""The live side of a run without Docker: controls, the page's server, `chaos mark`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chaos.errors import Refused, UsageError
from chaos.live import Live, open_live
from chaos.live.access import Role
from chaos.live.controls import Controls
from chaos.live.running import announce, find_running
from chaos.measure.metrics import RequestCounts, compute
from chaos.measure.steady import SteadyStateTracker
from chaos.measure.timeline import Clock, Timeline
from chaos.redact import redact
from chaos.scenario import load_scenario
from chaos.trial import Trial, TrialContext

REPO = Path(__file__).parents[2]
SCENARIO = """\
name: live test
lab: {{compose: {compose}}}
load: {{users: 1, requests: [{{path: /health}}]}}
faults:
  - {{type: pause, target: db, at: 1s, duration: 5s}}
detect:
  - {{name: errors, type: error_rate, window: 5s, above: 5%, for: 1s}}
recovery:
  trigger: {trigger}
  steps:
    - wait: 0.1s
steady_state:
  error_rate: {{below: 1%, for: 2s}}
time_limit: 60s
"""


def scenario(tmp_path: Path, trigger: str = "manual"):
    path = tmp_path / f"{trigger}.yaml"
    path.write_text(SCENARIO.format(compose=REPO / "compose" / "docker-compose.yml",
                                    trigger=trigger))
    return load_scenario(path)


def trial(tmp_path: Path, trigger: str = "manual") -> Trial:
    """A real Trial on a real clock and timeline, never run: no lab, no load."""
    sc = scenario(tmp_path, trigger)
    clock = Clock()
    timeline = Timeline(clock, tmp_path / "timeline.jsonl", trial=1)
    ctx = TrialContext(scenario=sc, lab=None, clock=clock, timeline=timeline, backups=None,
                       app_url="http://127.0.0.1:9", db_dsn="", workdir=tmp_path / "trial-1")
    return Trial(ctx)


def fault_now(t: Trial) -> None:
    now = t.ctx.clock.now()
    t.state.t_fault = now
    t.state.steady = SteadyStateTracker(0.01, 2.0, since=now)
    t.ctx.timeline.add("fault_injected", t=now, fault="pause", index=0)


# ---- controls -----------------------------------------------------------------


def test_a_mark_lands_on_the_timeline_at_the_instant_it_arrives(tmp_path):
    t = trial(tmp_path)
    before = t.ctx.clock.now()
    event = Controls(t).mark("detected", note="  pager went off ", by="page")
    assert event["kind"] == "mark" and event["mark"] == "detected"
    assert event["note"] == "pager went off" and event["by"] == "page"
    assert before - 0.0001 <= event["t"] <= t.ctx.clock.now() + 0.0001   # t is rounded
    assert t.ctx.timeline.events[-1] is event


def test_recovered_while_users_still_see_errors_is_premature(tmp_path):
    t = trial(tmp_path)
    fault_now(t)
    now = t.ctx.clock.now()
    t.state.counts.add(now, False, t.state.t_fault)     # a request just failed
    t.state.steady.add(now, False)
    assert Controls(t).mark("recovered")["premature"] is True
    t.ending.confirmed = True                            # the steady state has held
    event = Controls(t).mark("recovered")
    assert event["premature"] is False and event["confirmed"] is True


def test_recovered_with_no_answers_at_all_is_premature(tmp_path):
    t = trial(tmp_path)
    fault_now(t)
    # the newest answer is 10 s old: the service is stalled
    t.state.steady = SteadyStateTracker(0.01, 2.0, since=t.ctx.clock.now() - 10)
    assert Controls(t).mark("recovered")["premature"] is True


def test_end_asks_the_trial_to_end_and_later_marks_are_refused(tmp_path):
    t = trial(tmp_path)
    controls = Controls(t)
    controls.mark("end")
    assert t.ending.end_requested is True
    t.state.end_reason = "ended_early"
    with pytest.raises(Refused):
        controls.mark("detected")


@pytest.mark.parametrize("kind, note, message", [("notice", None, "unknown mark"),
                                                 ("note", "  ", "needs its text")])
def test_bad_marks_are_usage_errors(tmp_path, kind, note, message):
    with pytest.raises(UsageError, match=message):
        Controls(trial(tmp_path)).mark(kind, note=note)


def test_a_runbook_step_run_by_hand_is_timed_on_the_timeline(tmp_path):
    t = trial(tmp_path)
    controls = Controls(t)
    with pytest.raises(Refused, match="not been injected"):
        controls.run_step(0)
    fault_now(t)
    with pytest.raises(UsageError):
        controls.run_step(3)
    assert controls.run_step(0) == {"index": 0, "step": "wait"}
    t.recovery.join(timeout=5)
    kinds = [e["kind"] for e in t.ctx.timeline.events]
    assert kinds[-4:] == ["recovery_started", "step_started", "step_done", "recovery_finished"]
    assert t.ctx.timeline.events[-4]["trigger"] == "manual"
    assert controls.steps_view()[0]["state"] == "done"


def test_runbook_steps_by_hand_only_on_a_game_day(tmp_path):
    t = trial(tmp_path, trigger="on_detect")
    fault_now(t)
    with pytest.raises(Refused, match="game day"):
        Controls(t).run_step(0)


def test_human_metrics_from_marks():
    events = [{"t": 10.0, "kind": "fault_injected"}, {"t": 12.0, "kind": "detector_fired",
                                                      "name": "errors"},
              {"t": 15.5, "kind": "mark", "mark": "detected"},
              {"t": 18.0, "kind": "mark", "mark": "recovered", "premature": True},
              {"t": 19.0, "kind": "recovery_started"},
              {"t": 25.0, "kind": "mark", "mark": "recovered", "premature": False}]
    counts = RequestCounts(total=10, failed=2, failed_after_fault=2, first_failure_t=10.5,
                           last_failure_t=17)
    m = compute(events, counts)
    assert (m.ttd_s, m.human_ttd_s, m.human_tta_s, m.human_ttr_s) == (2.0, 5.5, 3.5, 8.0)
    assert m.premature_marks == 1


# ---- the page's server ------------------------------------------------------


def request(url: str, body: dict | None = None, ctype: str = "application/json",
            host: str | None = None, token: str | None = None) -> tuple[int, dict | str]:
    headers = {"Content-Type": ctype} if body is not None else {}
    if host:
        headers["Host"] = host
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw, status = resp.read(), resp.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


@pytest.fixture
def live(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    t = trial(tmp_path)
    lines: list[str] = []
    session = open_live("20261130-000000-live-test", t.sc, tmp_path, lines.append)
    session.board.attach(1, t)
    session.trial, session.lines = t, lines
    yield session
    session.close()


def test_the_page_is_served_on_localhost_with_no_external_assets(live: Live):
    assert live.url.startswith("http://127.0.0.1:")
    assert f"live page: {live.url}" in live.lines
    status, page = request(live.link(Role.OBSERVER))
    assert status == 200 and "<canvas" in page
    assert "http://" not in page and "https://" not in page and "<script src" not in page


def test_one_link_per_role_is_printed_once_and_masked_afterwards(live: Live):
    for role in Role:
        assert sum(live.link(role) in line for line in live.lines) == 1
        assert live.access.tokens[role] not in redact(f"a line with {live.link(role)}")


def test_marks_posted_like_the_buttons_do_show_up_in_the_state(live: Live):
    responder = live.access.tokens[Role.RESPONDER]
    status, event = request(live.url + "api/mark", {"mark": "detected", "note": "from the page",
                                                    "by": "ana"}, token=responder)
    assert status == 200 and event["mark"] == "detected"
    status, state = request(live.url + "api/state", token=responder)
    assert status == 200 and state["open"] and state["gameday"] and state["role"] == "responder"
    marks = [e for e in state["events"] if e["kind"] == "mark"]
    assert marks[-1]["note"] == "from the page"
    assert (marks[-1]["by"], marks[-1]["role"]) == ("ana", "responder")
    assert state["steps"][0]["step"] == "wait"
    assert {"name": "ana", "role": "responder"}.items() <= state["participants"][0].items()


def test_the_server_refuses_what_a_foreign_page_could_send(live: Live):
    # A form post from another site (text/plain, no preflight) or a rebound DNS name.
    boss = live.access.tokens[Role.FACILITATOR]
    assert request(live.url + "api/mark", {"mark": "end", "by": "x"}, ctype="text/plain",
                   token=boss)[0] == 415
    assert request(live.url + "api/state", host="evil.example:80", token=boss)[0] == 403
    assert request(live.url + "api/mark", {"mark": "boom", "by": "x"}, token=boss)[0] == 400
    assert request(live.url + "api/mark", {"mark": "end", "by": "x"})[0] == 401
    assert live.trial.ending.end_requested is False


def test_between_trials_marks_are_refused(live: Live):
    live.board.detach()
    status, body = request(live.url + "api/mark", {"mark": "detected", "by": "ana"},
                           token=live.access.tokens[Role.RESPONDER])
    assert status == 409 and "no trial" in body["error"]


def test_chaos_mark_from_another_process_finds_the_run_and_lands_on_the_timeline(live: Live,
                                                                                tmp_path):
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "chaos", "mark", "note", "--note", "rolled back"],
                          capture_output=True, text=True, timeout=60, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "marked note" in proc.stdout and "20261130-000000-live-test" in proc.stdout
    lines = [json.loads(x) for x in (tmp_path / "timeline.jsonl").read_text().splitlines()]
    mark = [e for e in lines if e["kind"] == "mark"][-1]
    assert mark["note"] == "rolled back" and mark["by"] and mark["role"] == "facilitator"
    assert t0 <= live.trial.ctx.clock.wall0 + mark["t"] <= time.time()


def test_chaos_mark_with_no_run_going_on_says_so(tmp_path):
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "empty")}
    proc = subprocess.run([sys.executable, "-m", "chaos", "mark", "detected"],
                          capture_output=True, text=True, timeout=60, env=env, cwd=REPO)
    assert proc.returncode == 2 and "no run" in proc.stderr


def test_runs_of_dead_processes_are_ignored_and_two_live_runs_need_run(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    path = announce("old-run", "http://127.0.0.1:1/", "x", tmp_path)
    path.write_text(json.dumps({**json.loads(path.read_text()), "pid": int(dead)}))
    announce("run-a", "http://127.0.0.1:2/", "x", tmp_path)
    assert find_running()["run_id"] == "run-a"
    announce("run-b", "http://127.0.0.1:3/", "x", tmp_path)
    with pytest.raises(UsageError, match="--run"):
        find_running()
    assert find_running("run-b")["url"] == "http://127.0.0.1:3/"


def test_mark_against_an_address_that_answers_html_is_bad_input():
    import http.server
    import threading

    class Html(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = b"<html><body>not chaos</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        from chaos.live.running import post_mark

        with pytest.raises(UsageError, match="not a chaos run's live page"):
            post_mark({"url": f"http://127.0.0.1:{server.server_port}/"}, "detected")
    finally:
        server.shutdown()
