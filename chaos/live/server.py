"""The live page's web server: stdlib, one thread, 127.0.0.1 only.

    server = LiveServer(board).start()
    server.url            # http://127.0.0.1:40123/  (the OS picks the port)
    server.close()

Routes: ``GET /`` the page (one file, no external assets), ``GET /api/state``
everything the page shows, ``POST /api/mark`` ``{"mark": "detected", "note": ...}``,
``POST /api/step`` ``{"index": 0}``. POSTs must be ``application/json`` and the
``Host`` must be this server: a web page elsewhere can then neither post a
form here (the content type forces a CORS preflight we never grant) nor reach
us through a rebound DNS name.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from chaos.errors import ChaosError, Refused, UsageError

PAGE = Path(__file__).with_name("page.html")
MAX_BODY = 16 * 1024


class LiveServer:
    def __init__(self, board: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.board = board
        self.httpd = ThreadingHTTPServer((host, port), _handler(board))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> LiveServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="live-server",
                                        kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()


def _handler(board: Any) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "chaos-live"

        def log_message(self, format: str, *args: Any) -> None:
            pass   # the page polls every second: a line each would drown the run's output

        def do_GET(self) -> None:
            if not self._host_ok():
                return
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, PAGE.read_bytes(), "text/html; charset=utf-8")
            elif path == "/api/state":
                self._json(HTTPStatus.OK, board.state())
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

        def do_POST(self) -> None:
            if not self._host_ok():
                return
            body = self._body()
            if body is None:
                return
            try:
                if self.path == "/api/mark":
                    result = board.mark(str(body.get("mark", "")), body.get("note"),
                                        str(body.get("by") or "page")[:40])
                elif self.path == "/api/step":
                    index = body.get("index")
                    if not isinstance(index, int):
                        raise UsageError("'index' must be a step number")
                    result = board.run_step(index)
                else:
                    self._json(HTTPStatus.NOT_FOUND, {"error": f"no such action: {self.path}"})
                    return
            except Refused as exc:
                self._json(HTTPStatus.CONFLICT, {"error": str(exc)})
            except UsageError as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            except ChaosError as exc:
                self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})
            else:
                self._json(HTTPStatus.OK, result)

        def _host_ok(self) -> bool:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            if host in ("127.0.0.1", "localhost", "[::1]"):
                return True
            self._json(HTTPStatus.FORBIDDEN, {"error": "the live page answers on 127.0.0.1 only"})
            return False

        def _body(self) -> dict[str, Any] | None:
            if self.headers.get_content_type() != "application/json":
                self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send application/json"})
                return None
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
                return None
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self._json(HTTPStatus.BAD_REQUEST, {"error": "expected a JSON object"})
                return None
            return body

        def _json(self, status: HTTPStatus, data: Any) -> None:
            self._send(status, json.dumps(data, default=str).encode(), "application/json")

        def _send(self, status: HTTPStatus, payload: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(payload)

    return Handler
