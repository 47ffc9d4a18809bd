"""People's browsers go away at the worst moments: mid-mark (the body half sent), or the
facilitator's tab closed while it holds the live stream. The real server, in this
process: a clear answer to whoever is still there, nothing lost or doubled, the run
goes on, and a page that comes back gets the whole state."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

from chaos.live import Live
from chaos.live.access import Role
from tests.liveclient import Participant
from tests.unit.test_live import live  # noqa: F401  (the fixture: a real server, a trial)


def raw_connection(session: Live) -> socket.socket:
    url = urlsplit(session.url)
    return socket.create_connection((url.hostname, url.port), timeout=5)


def marks_in_timeline(session: Live) -> list[dict]:
    lines = session.board.tail.path.read_text().splitlines()   # the file, as written
    return [r for r in map(json.loads, lines) if r.get("kind") == "mark"]


def test_a_browser_closing_mid_mark_loses_nothing_and_adds_nothing(live: Live):  # noqa: F811
    token = live.access.tokens[Role.RESPONDER]
    ana = Participant(live.url, token, name="ana")
    assert ana.post("/api/mark", {"mark": "detected", "by": "ana"})[0] == 200
    body = json.dumps({"mark": "note", "note": "the checkout page hangs", "by": "ben"}).encode()
    host = urlsplit(live.url).netloc
    for cut in (0, 1, len(body) // 2, len(body) - 1):   # the tab closed after `cut` bytes
        s = raw_connection(live)
        s.sendall(b"POST /api/mark HTTP/1.1\r\nHost: " + host.encode()
                  + b"\r\nAuthorization: Bearer " + token.encode()
                  + b"\r\nContent-Type: application/json\r\nContent-Length: "
                  + str(len(body)).encode() + b"\r\n\r\n" + body[:cut])
        s.close()
    # A request that sends its headers only, and then nothing: the server does not wait on
    # it for everyone else.
    stuck = raw_connection(live)
    stuck.sendall(b"POST /api/mark HTTP/1.1\r\nHost: " + host.encode()
                  + b"\r\nContent-Length: 500\r\n\r\n")
    try:
        started = time.monotonic()
        assert ana.post("/api/mark", {"mark": "diagnosis", "note": "db?", "by": "ana"})[0] == 200
        assert time.monotonic() - started < 2
        time.sleep(0.3)   # whatever the server would still do with the cut bodies
        marks = marks_in_timeline(live)
        assert [(m["mark"], m["by"]) for m in marks] == [("detected", "ana"), ("diagnosis", "ana")]
        state = ana.get_json("/api/state")
        assert [e["mark"] for e in state["events"] if e["kind"] == "mark"] == ["detected",
                                                                              "diagnosis"]
        assert not any(p["name"] == "ben" for p in state["participants"])   # never joined
        assert live.trial.status().open   # the run goes on
    finally:
        stuck.close()


def test_the_facilitators_tab_closing_mid_stream_leaves_everyone_else_served(live: Live):  # noqa: F811
    boss = Participant(live.url, live.access.tokens[Role.FACILITATOR], name="lee")
    observer = Participant(live.url, live.access.tokens[Role.OBSERVER], name="oli")
    boss_stream = boss.listen(timeout=30).__enter__()
    with observer.listen(timeout=30) as watching:
        boss_stream.wait_for(lambda m: m[0] == "state")
        boss_stream.close()   # the tab is gone, mid-stream
        # An abrupt close as well: a reset socket, half a request line.
        s = raw_connection(live)
        s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: " + urlsplit(live.url).netloc.encode())
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
        responder = Participant(live.url, live.access.tokens[Role.RESPONDER], name="ana")
        assert responder.post("/api/mark", {"mark": "detected", "by": "ana"})[0] == 200
        live.board.tick(live.trial)
        watching.wait_for(lambda m: any(e.get("mark") == "detected"
                                        for e in m[1].get("events", [])))
    # The facilitator opens the page again: the whole state, the mark made meanwhile in it.
    with boss.listen(timeout=30) as back:
        first = back.wait_for(lambda m: m[0] == "state")
        assert any(e.get("mark") == "detected" and e.get("by") == "ana"
                   for e in first[1]["events"])
    assert boss.post("/api/mark", {"mark": "end", "by": "lee"})[0] == 200
    assert live.trial.ending.end_requested is True
    assert [m["mark"] for m in marks_in_timeline(live)] == ["detected", "end"]
