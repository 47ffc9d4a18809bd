"""A participant of a game day as the server sees one: plain HTTP, every byte kept.

    p = Participant(url, token)
    p.get("/")                       # the page, (status, bytes)
    p.post("/api/mark", {...})       # (status, parsed JSON or text)
    with p.listen() as stream:       # the live stream on its own thread
        ...
        stream.messages              # [(kind, data), ...] as they arrived
    p.received                       # every byte this participant was sent, in order
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from typing import Any


class Participant:
    def __init__(self, url: str, token: str | None, name: str = "someone") -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token, self.name = token, name
        self.received = bytearray()
        self._lock = threading.Lock()

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**out, **(extra or {})}

    def _keep(self, data: bytes) -> None:
        with self._lock:
            self.received += data

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=self.headers(headers))
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        self._keep(data)
        return resp.status, data

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def get_json(self, path: str) -> Any:
        status, data = self.get(path)
        assert status == 200, (status, data[:200])
        return json.loads(data)

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        status, data = self.request("POST", path, json.dumps(body).encode(),
                                    {"Content-Type": "application/json"})
        try:
            return status, json.loads(data)
        except ValueError:
            return status, data.decode(errors="replace")

    def listen(self, timeout: float = 60) -> Stream:
        return Stream(self, timeout)


class Stream:
    """``GET /api/stream`` read on a thread until closed (or ``timeout`` seconds)."""

    def __init__(self, who: Participant, timeout: float) -> None:
        self.who, self.timeout = who, timeout
        self.messages: list[tuple[str, Any, float]] = []   # kind, data, arrival (time.time)
        self.status: int | None = None
        self._stop = threading.Event()
        self._conn: http.client.HTTPConnection | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cond = threading.Condition()

    def __enter__(self) -> Stream:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._conn is not None and self._conn.sock is not None:
            try:
                self._conn.sock.shutdown(2)
            except OSError:
                pass
        self._thread.join(timeout=10)

    def _run(self) -> None:
        conn = http.client.HTTPConnection(self.who.host, self.who.port, timeout=self.timeout)
        self._conn = conn
        try:
            conn.request("GET", "/api/stream", headers=self.who.headers())
            resp = conn.getresponse()
            self.status = resp.status
            buf = b""
            deadline = time.monotonic() + self.timeout
            while not self._stop.is_set() and time.monotonic() < deadline:
                chunk = resp.read1(65536)
                if not chunk:
                    break
                self.who._keep(chunk)
                buf += chunk
                while b"\n\n" in buf:
                    block, buf = buf.split(b"\n\n", 1)
                    self._parse(block.decode())
        except (OSError, http.client.HTTPException, ValueError):
            pass   # closed under us: the test is done listening
        finally:
            conn.close()

    def _parse(self, block: str) -> None:
        kind, data = "message", ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
        if data:
            with self._cond:
                self.messages.append((kind, json.loads(data), time.time()))
                self._cond.notify_all()

    def wait_for(self, check: Any, timeout: float = 10) -> Any:
        """The first message (kind, data, at) for which ``check`` holds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.messages:
                    if check(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such message in {timeout} s: "
                                         f"{[m[0] for m in self.messages]}")
                self._cond.wait(left)

    def events(self) -> list[dict[str, Any]]:
        """Every event the stream has delivered so far (state replaces, update appends)."""
        out: list[dict[str, Any]] = []
        for kind, data, _ in list(self.messages):
            if kind == "state":
                out = list(data["events"])
            elif kind == "update":
                out += data["events"]
        return out
