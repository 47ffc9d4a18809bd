"""chaos's Alertmanager webhook receiver: runs in its own lab container (stdlib only).

    python3 alertreceiver.py 9099

Alertmanager POSTs each notification to ``/``; the receiver stamps it with the
wall-clock instant the request arrived (the container shares the host's
clock), keeps it in memory (the newest ``KEEP``), and answers
``GET /notifications?since=N`` with the notifications numbered N and above:
``{"count": C, "items": [{"n": 0, "received": 1733300000.123, "body": {...}}]}``.
It imports nothing of chaos: it is copied into the lab as a file.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

KEEP = 10_000
MAX_BODY = 5_000_000
LOCK = threading.Lock()
ITEMS: list[dict[str, object]] = []
COUNT = [0]


class NotificationHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        received = time.time()
        size = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(size, MAX_BODY))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unparsed": raw[:2000].decode(errors="replace")}
        with LOCK:
            ITEMS.append({"n": COUNT[0], "received": received, "body": body})
            COUNT[0] += 1
            del ITEMS[:-KEEP]
        self._answer(200, {"ok": True})

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/-/ready":
            self._answer(200, {"ok": True})
            return
        if url.path != "/notifications":
            self._answer(404, {"error": "not found"})
            return
        try:
            since = int((parse_qs(url.query).get("since") or ["0"])[0])
        except ValueError:
            since = 0
        with LOCK:
            items = ITEMS[max(0, len(ITEMS) - (COUNT[0] - since)):] if since < COUNT[0] else []
            count = COUNT[0]
        self._answer(200, {"count": count, "items": items})

    def _answer(self, status: int, doc: dict[str, object]) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        sys.stderr.write("receiver: " + (format % args) + "\n")


if __name__ == "__main__":
    # As PID 1 the process would ignore SIGTERM; stop at once (restarts between trials).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9099
    ThreadingHTTPServer(("0.0.0.0", port), NotificationHandler).serve_forever()
