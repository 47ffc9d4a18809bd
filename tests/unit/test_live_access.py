"""Who may do what on the live page: the real server, in this process, every route.

The access matrix: every endpoint x every role x {no token, a wrong token, each other
role's token, its own}. A token grants its role and nothing more: 401 without a valid
token, 403 for what the role may not do, and an allowed action is never refused for
access (it may be refused for what it asks: 409, 400).
"""

from __future__ import annotations

import json
import socket

import pytest

from chaos.live import Live, open_live
from chaos.live.access import PERMITS, Action, Role
from tests.liveclient import Participant
from tests.unit.test_live import fault_now, trial

#: (method, path, body, the action it needs)
ENDPOINTS = [
    ("GET", "/", None, Action.VIEW),
    ("GET", "/index.html", None, Action.VIEW),
    ("GET", "/api/state", None, Action.VIEW),
    ("GET", "/api/stream", None, Action.VIEW),
    ("POST", "/api/join", {"name": "ana"}, Action.VIEW),
    ("POST", "/api/mark", {"mark": "note", "note": "hello", "by": "ana"}, Action.MARK),
    ("POST", "/api/mark", {"mark": "diagnosis", "note": "the db", "by": "ana"}, Action.MARK),
    ("POST", "/api/mark", {"mark": "end", "by": "ana"}, Action.END),
    ("POST", "/api/step", {"index": 0, "by": "ana"}, Action.STEP),
    ("POST", "/api/reveal", {"by": "ana"}, Action.REVEAL),
    ("POST", "/api/inject", {"index": 0, "by": "ana"}, Action.INJECT),
]
WRONG = "not-a-token-of-this-run-0123456789"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access")
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_STATE_HOME", str(tmp / "state"))
    t = trial(tmp)
    fault_now(t)
    session = open_live("20261206-000000-access", t.sc, tmp, lambda line: None)
    session.board.attach(1, t)
    yield session
    session.close()
    mp.undo()


def call(live: Live, token: str | None, method: str, path: str, body: dict | None) -> int:
    who = Participant(live.url, token)
    if path == "/api/stream":   # only the status: the stream itself never ends
        conn = socket.create_connection(("127.0.0.1", live.server.port), timeout=10)
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode())
        status = int(conn.recv(64).split(b" ")[1])
        conn.close()
        return status
    if method == "GET":
        return who.get(path)[0]
    return who.post(path, body or {})[0]


def expected(role: Role, action: Action) -> set[int]:
    if action in PERMITS[role]:
        return {200, 400, 409}   # allowed; the action itself may not fit the moment
    return {403}


@pytest.mark.parametrize("method, path, body, action", ENDPOINTS,
                         ids=[f"{m} {p} {(b or {}).get('mark', '')}".strip()
                              for m, p, b, _ in ENDPOINTS])
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_access_matrix(live: Live, role: Role, method, path, body, action):
    assert call(live, None, method, path, body) == 401
    assert call(live, WRONG, method, path, body) == 401
    assert call(live, live.access.tokens[role][:-1], method, path, body) == 401   # almost
    for other in Role:
        got = call(live, live.access.tokens[other], method, path, body)
        assert got in expected(other, action), (other, method, path, got)


def test_the_token_also_comes_in_the_link_and_nowhere_else_in_the_answers(live: Live):
    for role in Role:
        token = live.access.tokens[role]
        status, page = Participant(live.link(role), None).get(f"/?key={token}")
        assert status == 200 and token.encode() not in page
        status, state = Participant(live.url, token).get("/api/state")
        assert status == 200 and not any(t.encode() in state
                                         for t in live.access.tokens.values())


def test_a_foreign_host_and_cross_site_posts_are_refused(live: Live):
    boss = Participant(live.url, live.access.tokens[Role.FACILITATOR])
    for host in ("evil.example", "evil.example:80", "127.0.0.1.evil.example"):
        assert boss.request("GET", "/api/state", headers={"Host": host})[0] == 403
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        status, _ = boss.request("POST", "/api/mark", b'{"mark": "end", "by": "x"}',
                                 {"Content-Type": ctype})
        assert status == 415


@pytest.mark.parametrize("raw, status", [
    (b"{not json", 400), (b"[1, 2]", 400), (b'"text"', 400), (b"\xff\xfe", 400),
    (json.dumps({"mark": "note", "note": "x" * 20_000, "by": "a"}).encode(), 413),
    (json.dumps({"mark": "note", "note": 5, "by": "a"}).encode(), 400),
    (json.dumps({"mark": "note", "note": "n", "by": ""}).encode(), 400),
    (json.dumps({"mark": "note", "note": "n", "by": "\x00\x07"}).encode(), 400),
    (json.dumps({"mark": "nope", "by": "a"}).encode(), 400),
])
def test_malformed_and_oversized_bodies(live: Live, raw: bytes, status: int):
    responder = Participant(live.url, live.access.tokens[Role.RESPONDER])
    got, _ = responder.request("POST", "/api/mark", raw, {"Content-Type": "application/json"})
    assert got == status


def test_an_oversized_chunked_body_is_cut_off(live: Live):
    conn = socket.create_connection(("127.0.0.1", live.server.port), timeout=10)
    token = live.access.tokens[Role.RESPONDER]
    head = (f"POST /api/mark HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    conn.sendall(head.encode())
    chunk = b"x" * 8192
    try:
        for _ in range(4):
            conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    except OSError:
        pass   # the server may close as soon as it has said no
    answer = conn.recv(200)
    conn.close()
    assert b" 413 " in answer


def test_names_and_notes_with_markup_and_control_characters(live: Live):
    """Kept as text (control characters dropped) in the state; the page only ever
    inserts text (textContent, append of strings), never markup."""
    responder = Participant(live.url, live.access.tokens[Role.RESPONDER])
    name = "<img src=x onerror=alert(1)>\x1b[31m"
    note = "<script>alert('x')</script>\x00\x08 & done"
    status, event = responder.post("/api/mark", {"mark": "note", "note": note, "by": name})
    assert status == 200
    assert event["by"] == "<img src=x onerror=alert(1)>[31m"
    assert event["note"] == "<script>alert('x')</script> & done"
    page = Participant(live.url, live.access.tokens[Role.OBSERVER]).get("/")[1].decode()
    assert ".innerHTML" not in page and "insertAdjacentHTML" not in page
    assert "document.write" not in page


def test_every_answer_says_not_to_cache_and_not_to_frame(live: Live):
    conn = socket.create_connection(("127.0.0.1", live.server.port), timeout=10)
    token = live.access.tokens[Role.OBSERVER]
    conn.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                 "Connection: close\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += conn.recv(4096)
    conn.close()
    text = head.decode().lower()
    assert "cache-control: no-store" in text and "frame-ancestors 'none'" in text
    assert "referrer-policy: no-referrer" in text


def test_names_and_notes_are_text_in_the_post_mortem_too():
    from chaos.report.text import md_text

    assert md_text("<img src=x> *bold* [a](b) | x\n#h") == (
        "&lt;img src=x&gt; \\*bold\\* \\[a\\](b) \\| x \\#h")
