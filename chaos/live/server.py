"""The live page's web server: Starlette on uvicorn, in a thread of the run.

    server = LiveServer(board, access).start()          # 127.0.0.1, a port the OS picks
    server.url                                           # http://127.0.0.1:40123/
    LiveServer(board, access, host="0.0.0.0", port=8443, tls=("cert.pem", "key.pem"))
    server.close()

Routes (each needs a role's token, as ``?key=`` or ``Authorization: Bearer``):

    GET  /             the page (one file, no external assets)       everyone
    GET  /api/state    the whole state, cut for the caller's role    everyone
    GET  /api/stream   the same, pushed as server-sent events:       everyone
                       ``state`` in full, then ``update``
    POST /api/join     {"name": "ana"}                               everyone
    POST /api/mark     {"mark": "detected", "note": .., "by": ..}    responder, facilitator
                       ({"mark": "end"}: the facilitator only)
    POST /api/step     {"index": 0, "by": ..} a runbook step         facilitator
    POST /api/reveal   {"by": ..} say what was injected              facilitator
    POST /api/inject   {"index": 0, "by": ..} that fault, now        facilitator

No token, or one that is no role's: 401. A role's token on what its role may not
do: 403. POSTs must be ``application/json`` (a form from another site cannot send
that without a CORS preflight we never grant) and carry the token in a header a
foreign page cannot know. On 127.0.0.1 the ``Host`` must be this machine's
loopback name, against DNS rebinding. The access log stays off: tokens travel in
the links' query strings.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from chaos.errors import ChaosError, Refused, UsageError
from chaos.live.access import Access, Action, Role

PAGE = Path(__file__).with_name("page.html")
MAX_BODY = 16 * 1024
KEEPALIVE_S = 15.0
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer",   # the page's own address holds its token
           "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
           "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
           "media-src 'self' data:; frame-ancestors 'none'"}
POSTS: dict[str, Action] = {"/api/join": Action.VIEW, "/api/mark": Action.MARK,
                            "/api/step": Action.STEP, "/api/reveal": Action.REVEAL,
                            "/api/inject": Action.INJECT}


class Waiters:
    """The live streams waiting for a change, woken from whichever thread made it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def add(self, item: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        with self._lock:
            self._waiting.add(item)

    def remove(self, item: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        with self._lock:
            self._waiting.discard(item)

    def wake(self) -> None:
        with self._lock:
            waiting = list(self._waiting)
        for loop, event in waiting:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:   # the loop closed under us: the server is stopping
                pass


class LiveServer:
    def __init__(self, board: Any, access: Access, host: str = "127.0.0.1", port: int = 0,
                 tls: tuple[str, str] | None = None) -> None:
        self.board = board
        self.access = access
        self.host = host
        self.tls = tls
        self.closing = False
        self.waiters = Waiters()
        board.subscribe(self.waiters.wake)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_config=None, log_level="warning",
                                access_log=False, lifespan="off", timeout_graceful_shutdown=2,
                                limit_concurrency=1000, ws="none",
                                ssl_certfile=tls[0] if tls else None,
                                ssl_keyfile=tls[1] if tls else None)
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK_NAMES

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if host in ("0.0.0.0", "[::]"):
            host = socket.gethostname()
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/"

    def start(self) -> LiveServer:
        self._thread = threading.Thread(target=self.server.run, name="live-server",
                                        kwargs={"sockets": [self.sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ChaosError(f"the live page's server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def close(self) -> None:
        self.closing = True
        self.waiters.wake()
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()

    # ---- the application -----------------------------------------------------------

    def app(self) -> Starlette:
        routes = [Route("/", self.page, methods=["GET"]),
                  Route("/index.html", self.page, methods=["GET"]),
                  Route("/api/state", self.state, methods=["GET"]),
                  Route("/api/stream", self.stream, methods=["GET"]),
                  *[Route(path, self.post, methods=["POST"]) for path in POSTS]]
        return Starlette(routes=routes)

    def _who(self, request: Request) -> Role | Response:
        """The caller's role, or the answer that refuses them (foreign host, no token)."""
        if self.loopback:
            host = (request.headers.get("host") or "").rsplit(":", 1)[0]
            if host not in LOOPBACK_NAMES:
                return _json(403, {"error": "the live page answers on 127.0.0.1 only"})
        auth = request.headers.get("authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        role = self.access.role_of(token or request.query_params.get("key"))
        if role is None:
            return _json(401, {"error": "this needs the link you were given (a role's token)"})
        return role

    async def page(self, request: Request) -> Response:
        role = self._who(request)
        if isinstance(role, Response):
            return role
        return HTMLResponse(PAGE.read_bytes(), headers=HEADERS)

    async def state(self, request: Request) -> Response:
        role = self._who(request)
        if isinstance(role, Response):
            return role
        return _json(200, self.board.snapshot(role))

    async def stream(self, request: Request) -> Response:
        role = self._who(request)
        if isinstance(role, Response):
            return role
        return StreamingResponse(self._events(role), media_type="text/event-stream",
                                 headers={**HEADERS, "X-Accel-Buffering": "no"})

    async def _events(self, role: Role) -> AsyncIterator[bytes]:
        """``state`` (everything) first and whenever the cut changes (a new trial, the
        reveal, the end), then ``update``: what changed, and the events and samples
        appended since the last message."""
        loop = asyncio.get_running_loop()
        epoch, n_events, n_samples, head = None, 0, 0, ""
        while not self.closing:
            wake = asyncio.Event()
            item = (loop, wake)
            self.waiters.add(item)
            try:
                snap = self.board.snapshot(role)
                if snap["epoch"] != epoch:
                    epoch, n_events, n_samples = snap["epoch"], len(snap["events"]), \
                        len(snap["samples"])
                    head = _head(snap)
                    yield _sse("state", snap)
                else:
                    new_head = _head(snap)
                    events, samples = snap["events"][n_events:], snap["samples"][n_samples:]
                    if events or samples or new_head != head:
                        n_events, n_samples, head = len(snap["events"]), len(snap["samples"]), \
                            new_head
                        yield _sse("update", {"head": json.loads(head), "events": events,
                                              "samples": samples})
                try:
                    await asyncio.wait_for(wake.wait(), KEEPALIVE_S)
                except TimeoutError:
                    yield b": keepalive\n\n"
            finally:
                self.waiters.remove(item)

    async def post(self, request: Request) -> Response:
        role = self._who(request)
        if isinstance(role, Response):
            return role
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _json(415, {"error": "send application/json"})
        body = await _body(request)
        if isinstance(body, Response):
            return body
        action = POSTS[request.url.path]
        if action is Action.MARK and body.get("mark") == "end":
            action = Action.END
        if not Access.allows(role, action):
            return _json(403, {"error": f"the {role} role may not {action}"})
        return await asyncio.to_thread(self._do, action, body, role)

    def _do(self, action: Action, body: dict[str, Any], role: Role) -> Response:
        work: Callable[[], Any] = (
            (lambda: self.board.join(body.get("name"), role)) if action is Action.VIEW
            else (lambda: self.board.act(action, body, role)))
        try:
            result = work()
        except Refused as exc:
            return _json(409, {"error": str(exc)})
        except UsageError as exc:
            return _json(400, {"error": str(exc)})
        except ChaosError as exc:
            return _json(500, {"error": str(exc)})
        return _json(200, result)


def _head(snap: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in snap.items()
                       if k not in ("events", "samples", "server_wall", "version")},
                      default=str, sort_keys=True)


def _sse(kind: str, data: Any) -> bytes:
    text = json.dumps(data, default=str)   # one line: JSON escapes every newline
    return f"event: {kind}\ndata: {text}\n\n".encode()


def _json(status: int, data: Any) -> Response:
    return Response(json.dumps(data, default=str), status_code=status,
                    media_type="application/json", headers=HEADERS)


async def _body(request: Request) -> dict[str, Any] | Response:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return _json(413, {"error": f"a body is at most {MAX_BODY} bytes"})
    raw = b""
    async for chunk in request.stream():   # chunked: counted as it comes
        raw += chunk
        if len(raw) > MAX_BODY:
            return _json(413, {"error": f"a body is at most {MAX_BODY} bytes"})
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _json(400, {"error": "expected a JSON object"})
    return body

