"""The page that pages: notifications on every responder's screen (blind or not), and
forwarded to a team channel only when the scenario asks (a real HTTP listener on
127.0.0.1 stands in for the Slack-compatible webhook)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chaos.errors import ScenarioError
from chaos.live import open_live
from chaos.live.access import Role
from chaos.live.blind import blind_trial
from chaos.live.pager import Forwarder, page_text
from chaos.redact import redact
from chaos.scenario import load_scenario
from tests.liveclient import Participant
from tests.unit.test_live_blind import REPO, SCENARIO, blind_scenario, inject, make_trial

PAGE = {"status": "firing", "alert": "CheckoutFailing", "severity": "critical",
        "summary": "more than 5% of checkouts fail", "count": 1}


class Channel:
    """A webhook that keeps what it is sent; ``status`` is what it answers."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.bodies: list[dict] = []
        channel = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(delay)
                channel.bodies.append({"json": json.loads(raw),
                                       "type": self.headers.get("Content-Type")})
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secretpart"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_until(cond, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_page_reads_as_a_pager_shows_it():
    assert page_text(PAGE, "db paused") == ("[FIRING] CheckoutFailing (critical): more than 5% "
                                            "of checkouts fail [game day: db paused]")
    assert page_text({**PAGE, "status": "resolved", "severity": "", "count": 3}) == (
        "[RESOLVED] CheckoutFailing: more than 5% of checkouts fail (+2 more) [chaos game day]")


def test_the_forwarder_posts_slack_json_and_records_each_attempt():
    channel = Channel()
    recorded: list[tuple[str, dict]] = []
    fw = Forwarder(channel.url, "shop outage")
    try:
        fw.offer({"kind": "alert_notified", "t": 12.5, "page": PAGE},
                 lambda kind, **d: recorded.append((kind, d)))
        fw.close()
        assert channel.bodies == [{"json": {"text": page_text(PAGE, "shop outage")},
                                   "type": "application/json"}]
        assert recorded == [("page_forwarded", {"page_t": 12.5, "status": "firing",
                                                "ok": True, "http_status": 200})]
        assert fw.sent == 1 and fw.failed == 0
    finally:
        channel.close()


def test_a_refusing_or_dead_channel_is_said_and_never_raised_and_the_url_stays_out():
    refusing = Channel(status=403)
    recorded: list[dict] = []
    try:
        fw = Forwarder(refusing.url)
        fw.offer({"kind": "alert_notified", "t": 1.0, "page": PAGE},
                 lambda kind, **d: recorded.append(d))
        fw.close()
        assert recorded[-1]["ok"] is False and recorded[-1]["http_status"] == 403
    finally:
        refusing.close()
    dead = Forwarder(refusing.url, timeout=2)   # nobody listens there any more
    dead.offer({"kind": "alert_notified", "t": 2.0, "page": PAGE},
               lambda kind, **d: recorded.append(d))
    dead.close()
    assert recorded[-1]["ok"] is False and "error" in recorded[-1]
    assert "secretpart" not in json.dumps(recorded) and dead.failed == 1


def test_a_slow_channel_never_holds_the_caller():
    channel = Channel(delay=1.5)
    try:
        fw = Forwarder(channel.url)
        started = time.monotonic()
        for i in range(5):
            fw.offer({"kind": "alert_notified", "t": float(i), "page": PAGE}, lambda k, **d: None)
        assert time.monotonic() - started < 0.5
        fw.close(timeout=0.1)
    finally:
        channel.close()


def load_with(tmp_path: Path, pager: str):
    text = SCENARIO.format(compose=REPO / "compose" / "docker-compose.yml", choose="random")
    text = text.replace("expect: {human_ttd: 5m}}",
                        "expect: {human_ttd: 5m}, pager: " + pager + "}")
    path = tmp_path / "paged.yaml"
    path.write_text(text)
    return load_scenario(path)


def test_forwarding_is_opt_in_and_a_bad_url_is_refused_at_its_line(tmp_path):
    sc = blind_scenario(tmp_path)
    assert sc.gameday.pager.forward is None and sc.gameday.pager.sound is True
    live = open_live("20261206-000000-no-forward", sc, tmp_path, lambda line: None)
    try:
        assert live.board.forwarder is None
    finally:
        live.close()
    with pytest.raises(ScenarioError) as err:
        load_with(tmp_path, "{forward: 'ftp://example.invalid/x'}")
    assert "paged.yaml" in str(err.value) and "pager" in str(err.value)
    assert "http" in str(err.value)
    with pytest.raises(ScenarioError) as err:
        load_with(tmp_path, "{sound: true, ring: loud}")
    assert "ring" in str(err.value)


def test_a_page_reaches_a_blind_responder_and_the_channel_and_nothing_else_does(tmp_path):
    channel = Channel()
    try:
        base = load_with(tmp_path, "{forward: '" + channel.url + "'}")
        sc, choice = blind_trial(base, seed=3, n=1)
        sc = sc.model_copy(update={"faults": [base.faults[0]]})
        t = make_trial(tmp_path, sc)
        logged: list[str] = []
        live = open_live("20261206-000000-paged", sc, tmp_path, logged.append)
        try:
            assert "secretpart" not in redact(f"posting to {channel.url}")
            live.board.attach(1, t)
            responder = Participant(live.url, live.access.tokens[Role.RESPONDER], name="ana")
            inject(t, choice)
            t.ctx.timeline.add("alert_notified", name="pager", detector="prometheus_alert",
                               alert="CheckoutFailing", receiver="chaos", pending_t=3.25,
                               route={"path": "route"}, page=PAGE)
            live.board.tick(t)
            state = responder.get_json("/api/state")
            notified = [e for e in state["events"] if e["kind"] == "alert_notified"]
            assert [e["page"] for e in notified] == [PAGE]
            assert set(notified[0]) <= {"t", "wall", "kind", "trial", "name", "page"}
            assert state["pager"] == {"sound": True, "forwarded": True}
            wait_until(lambda: len(channel.bodies) == 1)
            text = channel.bodies[0]["json"]["text"]
            assert text.startswith("[FIRING] CheckoutFailing (critical)")
            assert sc.name not in text and "[chaos game day]" in text   # blind: no name
            wait_until(lambda: any(e["kind"] == "page_forwarded" for e in t.ctx.timeline.events))
            live.board.tick(t)   # the forwarder's own event is not forwarded again
            time.sleep(0.3)
            assert len(channel.bodies) == 1
        finally:
            live.close()
        lines = (tmp_path / "timeline.jsonl").read_text()
        assert '"page_forwarded"' in lines and "secretpart" not in lines
        assert not any("secretpart" in line for line in map(str, logged))
    finally:
        channel.close()
