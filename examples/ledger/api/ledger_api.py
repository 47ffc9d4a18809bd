"""ledger-api: a double-entry ledger over PostgreSQL (stdlib HTTP + psycopg 3).

    GET  /healthz                          SELECT 1 through the pool -> 200 {"ok": true}
    GET  /api/v1/accounts/<id>/balance     -> 200 {"account": id, "name": .., "balance_cents": n}
                                              404 for an unknown account
    POST /api/v1/transfers                 body {"from": int, "to": int, "amount_cents": int}
         Idempotency-Key: <uuid>           -> 201 {"transfer": {"id": .., "key": .., ...}}
                                              200 with the same transfer for a repeated key
                                              400 for a bad body or no key, 404 for an unknown account

A transfer is one `transfers` row and two `entries` (-amount, +amount) in one
transaction, so the entries always sum to zero.

Database trouble never takes the process down: no pool connection within
POOL_TIMEOUT_S -> 503, a failed or timed-out query -> 500.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

DATABASE_URL = os.environ["DATABASE_URL"]
LISTEN_PORT = int(os.environ.get("LISTEN_PORT", "8000"))
POOL_TIMEOUT_S = float(os.environ.get("POOL_TIMEOUT_S", "2"))
STATEMENT_TIMEOUT_S = float(os.environ.get("STATEMENT_TIMEOUT_S", "2"))

log = logging.getLogger("ledger-api")

pool = ConnectionPool(
    DATABASE_URL,
    min_size=2,
    max_size=int(os.environ.get("POOL_MAX", "10")),
    timeout=POOL_TIMEOUT_S,
    # psycopg-pool retries a failed connect with backoff (1, 2, 4, 8 s...) until
    # `reconnect_timeout`: after a 15 s outage the next try could be 8 s away.
    # Giving up after 0.5 s frees the slot instead, and the next request that
    # waits regrows the pool at once, so the API is back ~0.5 s after its database.
    reconnect_timeout=0.5,
    num_workers=4,
    kwargs={
        "autocommit": True,
        "connect_timeout": 2,
        "options": f"-c statement_timeout={int(STATEMENT_TIMEOUT_S * 1000)}",
        "application_name": "ledger-api",
    },
    open=False,
)


@contextmanager
def db() -> Iterator[psycopg.Connection]:
    """A pooled connection, cut off if its server has not answered in time.

    statement_timeout is enforced by the server, so it does nothing when the
    server is frozen (SIGSTOP, `docker pause`): its kernel still ACKs our
    packets and the client would wait forever. Shutting the socket down makes
    psycopg fail at once, and the pool then replaces the broken connection.
    """
    with pool.connection() as conn:
        lock, finished = threading.Lock(), threading.Event()

        def cut() -> None:
            with lock:  # never cut a connection that is going back to the pool
                if not finished.is_set():
                    with suppress(OSError, psycopg.Error), \
                            socket.socket(fileno=os.dup(conn.fileno())) as sock:
                        sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(STATEMENT_TIMEOUT_S + 0.25, cut)
        timer.daemon = True
        timer.start()
        try:
            yield conn
        finally:
            with lock:
                finished.set()
            timer.cancel()


def healthz() -> tuple[int, dict]:
    with db() as conn:
        conn.execute("SELECT 1")
    return 200, {"ok": True}


def balance(account_id: int) -> tuple[int, dict]:
    with db() as conn:
        row = conn.execute(
            "SELECT a.id, a.name, coalesce(sum(e.delta_cents), 0)"
            " FROM accounts a LEFT JOIN entries e ON e.account_id = a.id"
            " WHERE a.id = %s GROUP BY a.id",
            (account_id,),
        ).fetchone()
    if row is None:
        return 404, {"error": f"no account {account_id}"}
    return 200, {"account": row[0], "name": row[1], "balance_cents": int(row[2])}


def transfer(key: str, src: int, dst: int, amount: int) -> tuple[int, dict]:
    with db() as conn, conn.transaction():
        # ON CONFLICT waits for a concurrent request with the same key to
        # finish, then yields nothing: the replay below finds its transfer.
        row = conn.execute(
            "INSERT INTO transfers (idem_key, from_account, to_account, amount_cents)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (idem_key) DO NOTHING RETURNING id",
            (key, src, dst, amount),
        ).fetchone()
        if row is not None:
            conn.execute(
                "INSERT INTO entries (transfer_id, account_id, delta_cents)"
                " VALUES (%(t)s, %(src)s, -%(amt)s), (%(t)s, %(dst)s, %(amt)s)",
                {"t": row[0], "src": src, "dst": dst, "amt": amount},
            )
            status, body = 201, (row[0], src, dst, amount)
        else:
            status, body = 200, conn.execute(
                "SELECT id, from_account, to_account, amount_cents FROM transfers"
                " WHERE idem_key = %s", (key,)).fetchone()
    tid, src, dst, amount = body
    return status, {"transfer": {"id": tid, "key": key, "from": src, "to": dst,
                                 "amount_cents": amount}}


def parse_transfer(raw: bytes) -> tuple[int, int, int]:
    """(from, to, amount_cents) from a request body; ValueError when it is wrong."""
    try:
        doc = json.loads(raw or b"null")
        src, dst, amount = doc["from"], doc["to"], doc["amount_cents"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError('expected {"from": int, "to": int, "amount_cents": int}') from exc
    if not all(type(v) is int for v in (src, dst, amount)):
        raise ValueError("from, to and amount_cents must be integers")
    if amount <= 0 or src == dst:
        raise ValueError("amount_cents must be positive and from must differ from to")
    return src, dst, amount


BALANCE = re.compile(r"^/api/v1/accounts/(\d{1,9})/balance$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as load generators expect

    def log_message(self, fmt: str, *args: object) -> None:
        pass  # one line per request would drown the container log under load

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left (load stopped): nobody to tell

    def answer(self, work) -> None:
        try:
            status, body = work()
        except PoolTimeout:
            status, body = 503, {"error": "database unavailable (no connection within "
                                          f"{POOL_TIMEOUT_S:g} s)"}
        except psycopg.errors.ForeignKeyViolation:
            status, body = 404, {"error": "no such account"}
        except psycopg.Error as exc:
            status, body = 500, {"error": f"database error: {type(exc).__name__}: {exc}"}
        except Exception as exc:  # a bug costs one request, never the process
            log.exception("unexpected error")
            status, body = 500, {"error": f"internal error: {type(exc).__name__}"}
        self.send_json(status, body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self.answer(healthz)
        elif m := BALANCE.match(path):
            self.answer(lambda: balance(int(m.group(1))))
        else:
            self.send_json(404, {"error": f"no route for GET {path}"})

    def do_POST(self) -> None:
        # Read the body first, whatever happens next: an unread body would be
        # taken for the next request on this keep-alive connection.
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.split("?", 1)[0] != "/api/v1/transfers":
            return self.send_json(404, {"error": f"no route for POST {self.path}"})
        key = (self.headers.get("Idempotency-Key") or "").strip()
        if not key or len(key) > 200:
            return self.send_json(400, {"error": "an Idempotency-Key header is required"})
        try:
            src, dst, amount = parse_transfer(raw)
        except ValueError as exc:
            return self.send_json(400, {"error": str(exc)})
        self.answer(lambda: transfer(key, src, dst, amount))


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    pool.open(wait=False)
    server = ThreadingHTTPServer(("0.0.0.0", LISTEN_PORT), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
