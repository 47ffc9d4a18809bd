"""Declared requests and a user's own locustfile, run by real Locust against a real
HTTP server on 127.0.0.1: what arrives at the server is what the stream records."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chaos.load.runner import LoadRunner, LoadSettings


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, dict, str]] = []   # method, path, headers, body
    next_id = [0]
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        with self.lock:
            self.seen.append((self.command, self.path, dict(self.headers), body))
            self.next_id[0] += 1
            new_id = self.next_id[0]
        if self.command == "GET" and self.path.startswith("/items/"):
            self._reply(200 if int(self.path.rsplit("/", 1)[1]) <= 5 else 404, {})
        elif self.command == "PUT":
            self._reply(201, {"item": {"id": new_id}})
        elif self.command == "POST":
            self._reply(201, {})
        else:
            self._reply(400, {})

    do_GET = do_PUT = do_POST = _handle


@pytest.fixture
def server():
    Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def drive(url: str, settings: LoadSettings, tmp_path, seconds: float = 4.0):
    load = LoadRunner(url, settings, tmp_path)
    load.start()
    observed = []
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            observed += load.poll()
            time.sleep(0.2)
    finally:
        load.stop()
    return observed + load.poll()


REQUESTS = (
    {"name": "item", "method": "GET", "path": "/items/{int:1:10}", "headers": {}, "json": None,
     "weight": 3, "success": [200], "write": None},
    {"name": "put", "method": "PUT", "path": "/items", "headers": {},
     "json": {"tag": "{choice:a|b}"},
     "weight": 1, "success": [201], "write": {"ref": "response", "field": "item.id"}},
    {"name": "post", "method": "POST", "path": "/refs/{ref}", "headers": {"X-Ref": "{ref}"},
     "json": {"ref": "{ref}", "n": "{int:4:4}"}, "weight": 1, "success": None,
     "write": {"ref": "client"}},
)


def test_declared_requests_send_what_they_declare_and_record_their_refs(server, tmp_path):
    obs = drive(server, LoadSettings(requests=REQUESTS, users=3, spawn_rate=3, wait_min=0.01,
                                     wait_max=0.02, run_time_s=30), tmp_path)
    by_name = {n: [o for o in obs if o.name == n] for n in ("item", "put", "post")}
    assert all(len(v) > 10 for v in by_name.values()), {k: len(v) for k, v in by_name.items()}
    assert {o.name for o in obs} == {"item", "put", "post"}
    # Reads: no ref; a 404 (ids 6-10) is a failure because success says [200].
    items = by_name["item"]
    assert all(o.ref is None for o in items)
    assert {o.ok for o in items if o.status == 404} == {False}
    assert {o.ok for o in items if o.status == 200} == {True}
    # Client refs: the same generated UUID in the path, the header and the body.
    posts = [s for s in Recorder.seen if s[0] == "POST"]
    for _method, path, headers, body in posts:
        ref = path.rsplit("/", 1)[1]
        assert len(ref) == 36 and headers["X-Ref"] == ref
        assert json.loads(body) == {"ref": ref, "n": 4}      # a bare {int} stays a number
    assert {o.ref for o in by_name["post"]} <= {p[1].rsplit("/", 1)[1] for p in posts}
    assert all(o.ok and o.write for o in by_name["post"])
    # Response refs: the id the server acknowledged, as text.
    assert all(o.ref is not None and o.ref.isdigit() for o in by_name["put"])
    assert len({o.ref for o in by_name["put"]}) == len(by_name["put"])
    bodies = [json.loads(s[3]) for s in Recorder.seen if s[0] == "PUT"]
    assert {b["tag"] for b in bodies} <= {"a", "b"}


USER_LOCUSTFILE = '''
import uuid
from locust import HttpUser, constant, task

class Client(HttpUser):
    wait_time = constant(0.01)

    @task(2)
    def read(self):
        self.client.get("/items/1", name="one item")

    @task(1)
    def write(self):
        key = str(uuid.uuid4())
        self.client.post("/refs/" + key, json={}, name="write", context={"write_ref": key})

    @task(1)
    def acked(self):
        with self.client.put("/items", json={}, name="acked", catch_response=True) as resp:
            resp.request_meta["context"]["write_ref"] = str(resp.json()["item"]["id"])
'''


def test_a_plain_locustfile_runs_unchanged_with_the_stream_attached(server, tmp_path):
    lf = tmp_path / "theirs.py"
    lf.write_text(USER_LOCUSTFILE)
    obs = drive(server, LoadSettings(locustfile=str(lf), users=2, spawn_rate=2, run_time_s=30),
                tmp_path)
    names = {o.name for o in obs}
    assert names == {"one item", "write", "acked"}
    assert all(o.ref is None for o in obs if o.name == "one item")
    posted = {s[1].rsplit("/", 1)[1] for s in Recorder.seen if s[0] == "POST"}
    writes = [o for o in obs if o.name == "write"]
    assert writes and {o.ref for o in writes} <= posted
    acked = [o for o in obs if o.name == "acked"]
    assert acked and all(o.ref and o.ref.isdigit() for o in acked)
    # every request the server answered is one line (a clean stop drops none)
    assert len(obs) == len(Recorder.seen)
