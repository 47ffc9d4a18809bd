"""notes-web: notes and bookmarks, kept in PostgreSQL.

    GET /ping                    health: asks the database for the time -> 200 {"pong": ...}
    GET /v2/notes?owner=<name>   the owner's 20 newest notes -> 200 [{"uid", "owner", "body", "created"}]
    PUT /v2/notes                {"owner": str, "body": str} -> 201 {"note": {"uid": <bigint>}}
                                 (the uid is assigned by the database: it is the receipt)

Where the database is comes from libpq's own PGHOST/PGPORT/PGUSER/PGPASSWORD/
PGDATABASE environment. Failures are answers, not crashes: no connection within
2 s -> 503, a failed or timed-out query -> 500.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import threading
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

QUERY_DEADLINE_S = 2.0
MAX_BODY = 10_000

pool = ConnectionPool(
    "",  # everything from the PG* environment
    min_size=1,
    max_size=8,
    timeout=2.0,
    reconnect_timeout=0.5,  # no 1-2-4-8 s backoff: give up fast, a waiting request regrows the pool
    # psycopg 3.1 ignores PGCONNECT_TIMEOUT (it enforces the timeout itself and
    # reads it from the connection string only), so it is given here.
    kwargs={"autocommit": True, "connect_timeout": 2,
            "options": f"-c statement_timeout={int(QUERY_DEADLINE_S * 1000)}"},
    open=False,
)


class Watchdog:
    """Shut a connection's socket if the server stays silent past the deadline.

    A frozen server (`docker pause`) cannot enforce its statement_timeout and
    its kernel keeps ACKing, so without this a query would wait forever.
    """

    def __init__(self, conn: psycopg.Connection, seconds: float) -> None:
        self._conn, self._lock, self._over = conn, threading.Lock(), False
        self._timer = threading.Timer(seconds, self._bite)
        self._timer.daemon = True
        self._timer.start()

    def _bite(self) -> None:
        with self._lock:
            if self._over:
                return
            with suppress(OSError, psycopg.Error), \
                    socket.socket(fileno=os.dup(self._conn.fileno())) as sock:
                sock.shutdown(socket.SHUT_RDWR)

    def stand_down(self) -> None:
        with self._lock:  # after this the connection is never cut: it may go back to the pool
            self._over = True
        self._timer.cancel()


@contextmanager
def database():
    with pool.connection() as conn:
        dog = Watchdog(conn, QUERY_DEADLINE_S + 0.25)
        try:
            yield conn
        finally:
            dog.stand_down()


def ping(query: dict, doc: object) -> tuple[int, object]:
    with database() as conn:
        (now,) = conn.execute("SELECT now()").fetchone()
    return 200, {"pong": now.isoformat()}


def list_notes(query: dict, doc: object) -> tuple[int, object]:
    owner = (query.get("owner") or [""])[0]
    if not owner:
        return 400, {"error": "owner=<name> is required"}
    with database() as conn:
        rows = conn.execute(
            "SELECT uid, owner, body, created FROM notes WHERE owner = %s"
            " ORDER BY uid DESC LIMIT 20", (owner,)).fetchall()
    return 200, [{"uid": uid, "owner": o, "body": body, "created": created.isoformat()}
                 for uid, o, body, created in rows]


def add_note(query: dict, doc: object) -> tuple[int, object]:
    if not isinstance(doc, dict):
        return 400, {"error": 'expected a JSON object {"owner": str, "body": str}'}
    owner, body = doc.get("owner"), doc.get("body")
    for field, value, limit in (("owner", owner, 100), ("body", body, MAX_BODY)):
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            return 400, {"error": f"{field} must be a non-empty string of at most {limit} characters"}
    with database() as conn:
        (uid,) = conn.execute(
            "INSERT INTO notes (owner, body) VALUES (%s, %s) RETURNING uid", (owner, body)
        ).fetchone()
    return 201, {"note": {"uid": uid}}


ROUTES = {
    ("GET", "/ping"): ping,
    ("GET", "/v2/notes"): list_notes,
    ("PUT", "/v2/notes"): add_note,
}


class NotesHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "notes-web/2"

    def log_message(self, fmt: str, *args: object) -> None:
        pass  # quiet under load; errors are in the answers

    def route(self) -> None:
        method = self.command
        # Drain the body before anything else so a keep-alive connection stays in step.
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        handler = ROUTES.get((method, url.path))
        if handler is None:
            known = any(path == url.path for _, path in ROUTES)
            return self.reply(405 if known else 404, {"error": f"no {method} {url.path}"})
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            return self.reply(400, {"error": "the body is not JSON"})
        try:
            status, payload = handler(parse_qs(url.query), doc)
        except PoolTimeout:
            status, payload = 503, {"error": "the notes store is unavailable"}
        except psycopg.Error as exc:
            status, payload = 500, {"error": f"store error: {type(exc).__name__}: {exc}".strip()}
        except Exception as exc:  # one bad request must not take the service down
            status, payload = 500, {"error": f"bug: {type(exc).__name__}"}
        self.reply(status, payload)

    # Every method goes through the route table, so a wrong one gets a JSON 405.
    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = route

    def reply(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up first


def main() -> None:
    parser = argparse.ArgumentParser(description="notes-web")
    parser.add_argument("--port", type=int, default=9090)
    args = parser.parse_args()
    pool.open(wait=False)
    server = ThreadingHTTPServer(("0.0.0.0", args.port), NotesHandler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
