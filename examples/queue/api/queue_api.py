"""queue-api: accepts messages into an outbox table; a separate worker sends them.

    POST /messages    body {"ref": "<client uuid>", "body": "..."}
                      -> 202 {"ref": .., "id": .., "duplicate": false}
                         202 with the first row's id and "duplicate": true for a repeated ref
                         400 for a bad body
    GET  /health      SELECT 1 through the pool -> 200 {"ok": true}
    GET  /metrics     Prometheus text exposition:
                        queue_backlog                     unsent rows, counted at scrape time
                        queue_oldest_unsent_age_seconds   age of the oldest unsent row (0 if none)
                        queue_messages_accepted_total     new rows this process inserted
                        queue_backlog_query_failures_total scrapes whose backlog query failed

"Accepted" is all a client is ever told: whether a message is then sent is
the worker's business. So when the worker stops, every request still succeeds
and only the backlog shows it. The backlog is exported here, not by the
worker, so that it survives the worker being gone.

Database trouble never takes the process down: no pool connection within
POOL_TIMEOUT_S -> 503, a failed or timed-out query -> 500. A scrape whose
backlog query fails leaves the two gauges out (no number beats a wrong one)
and counts the failure.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import prometheus_client
import psycopg
from prometheus_client import Counter
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from psycopg_pool import ConnectionPool, PoolTimeout

DATABASE_URL = os.environ["DATABASE_URL"]
LISTEN_PORT = int(os.environ.get("LISTEN_PORT", "8000"))
POOL_TIMEOUT_S = float(os.environ.get("POOL_TIMEOUT_S", "2"))
STATEMENT_TIMEOUT_S = float(os.environ.get("STATEMENT_TIMEOUT_S", "2"))
# A scrape must answer within Prometheus's scrape_timeout (at most its
# scrape_interval, 2 s in this example's scenarios): the backlog query gets 1 s.
METRICS_TIMEOUT_S = float(os.environ.get("METRICS_TIMEOUT_S", "1"))
MAX_REF, MAX_BODY = 200, 10_000

log = logging.getLogger("queue-api")

pool = ConnectionPool(
    DATABASE_URL,
    min_size=2,
    max_size=int(os.environ.get("POOL_MAX", "10")),
    timeout=POOL_TIMEOUT_S,
    # Give up a failed connect after 0.5 s instead of psycopg-pool's 1, 2, 4, 8 s
    # backoff, so the API is back about half a second after its database.
    reconnect_timeout=0.5,
    num_workers=4,
    kwargs={
        "autocommit": True,
        "connect_timeout": 2,
        "options": f"-c statement_timeout={int(STATEMENT_TIMEOUT_S * 1000)}",
        "application_name": "queue-api",
    },
    open=False,
)


@contextmanager
def db(wait_s: float = POOL_TIMEOUT_S, deadline_s: float = STATEMENT_TIMEOUT_S + 0.25
       ) -> Iterator[psycopg.Connection]:
    """A pooled connection, cut off if its server has not answered by ``deadline_s``.

    statement_timeout is enforced by the server, so it does nothing when the
    server is frozen (`docker pause`): the client would wait forever. Shutting
    the socket down makes psycopg fail at once, and the pool replaces the
    broken connection.
    """
    with pool.connection(timeout=wait_s) as conn:
        lock, finished = threading.Lock(), threading.Event()

        def cut() -> None:
            with lock:  # never cut a connection that is going back to the pool
                if not finished.is_set():
                    with suppress(OSError, psycopg.Error), \
                            socket.socket(fileno=os.dup(conn.fileno())) as sock:
                        sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(deadline_s, cut)
        timer.daemon = True
        timer.start()
        try:
            yield conn
        finally:
            with lock:
                finished.set()
            timer.cancel()


ACCEPTED = Counter("queue_messages_accepted", "Messages this process inserted into the outbox "
                   "(a repeated ref is not counted again)")
BACKLOG_FAILURES = Counter("queue_backlog_query_failures", "Scrapes whose backlog query "
                           "failed (the backlog gauges were left out)")


class BacklogCollector:
    """The backlog, read from the table at each scrape: whoever drains it, and
    whether or not the worker runs, the number is the table's."""

    def describe(self) -> list[GaugeMetricFamily]:
        # Present so that registering does not run collect() (and a query) at import.
        return [GaugeMetricFamily("queue_backlog", ""),
                GaugeMetricFamily("queue_oldest_unsent_age_seconds", "")]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with db(wait_s=METRICS_TIMEOUT_S, deadline_s=METRICS_TIMEOUT_S) as conn:
                count, age = conn.execute(
                    "SELECT count(*), coalesce(extract(epoch FROM"
                    " clock_timestamp() - min(created_at)), 0)"
                    " FROM outbox WHERE sent_at IS NULL").fetchone()
        except (PoolTimeout, psycopg.Error) as exc:
            BACKLOG_FAILURES.inc()
            log.warning("backlog query failed: %s: %s", type(exc).__name__, exc)
            return
        yield GaugeMetricFamily("queue_backlog", "Messages accepted and not yet sent",
                                value=count)
        yield GaugeMetricFamily("queue_oldest_unsent_age_seconds",
                                "Age of the oldest unsent message (0 when none waits)",
                                value=float(age))


REGISTRY.register(BacklogCollector())


def health() -> tuple[int, dict]:
    with db() as conn:
        conn.execute("SELECT 1")
    return 200, {"ok": True}


def enqueue(ref: str, body: str | None) -> tuple[int, dict]:
    with db() as conn:
        # ON CONFLICT waits for a concurrent insert of the same ref to finish,
        # then yields nothing: the SELECT below finds the first row.
        row = conn.execute(
            "INSERT INTO outbox (ref, body) VALUES (%s, %s)"
            " ON CONFLICT (ref) DO NOTHING RETURNING id", (ref, body)).fetchone()
        duplicate = row is None
        if duplicate:
            row = conn.execute("SELECT id FROM outbox WHERE ref = %s", (ref,)).fetchone()
    if not duplicate:
        ACCEPTED.inc()
    return 202, {"ref": ref, "id": row[0], "duplicate": duplicate}


def parse_message(raw: bytes) -> tuple[str, str | None]:
    """(ref, body) from a request body; ValueError when it is wrong."""
    try:
        doc = json.loads(raw or b"null")
        ref, body = doc["ref"], doc.get("body")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError('expected {"ref": "<uuid>", "body": "..."}') from exc
    if not isinstance(ref, str) or not ref.strip() or len(ref) > MAX_REF:
        raise ValueError(f"ref must be a non-empty string of at most {MAX_REF} characters")
    if body is not None and (not isinstance(body, str) or len(body) > MAX_BODY):
        raise ValueError(f"body must be a string of at most {MAX_BODY} characters")
    return ref.strip(), body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as load generators expect

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; with Nagle's algorithm the second
        # waits for the client's delayed ACK, ~40 ms on every GET.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt: str, *args: object) -> None:
        pass  # one line per request would drown the container log under load

    def send(self, status: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left (load stopped): nobody to tell

    def send_json(self, status: int, body: dict) -> None:
        self.send(status, json.dumps(body).encode(), "application/json")

    def answer(self, work) -> None:
        try:
            status, body = work()
        except PoolTimeout:
            status, body = 503, {"error": "database unavailable (no connection within "
                                          f"{POOL_TIMEOUT_S:g} s)"}
        except psycopg.Error as exc:
            status, body = 500, {"error": f"database error: {type(exc).__name__}: {exc}"}
        except Exception as exc:  # a bug costs one request, never the process
            log.exception("unexpected error")
            status, body = 500, {"error": f"internal error: {type(exc).__name__}"}
        self.send_json(status, body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self.answer(health)
        elif path == "/metrics":
            self.send(200, prometheus_client.generate_latest(REGISTRY),
                      prometheus_client.CONTENT_TYPE_LATEST)
        else:
            self.send_json(404, {"error": f"no route for GET {path}"})

    def do_POST(self) -> None:
        # Read the body first, whatever happens next: an unread body would be
        # taken for the next request on this keep-alive connection.
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.split("?", 1)[0] != "/messages":
            return self.send_json(404, {"error": f"no route for POST {self.path}"})
        try:
            ref, body = parse_message(raw)
        except ValueError as exc:
            return self.send_json(400, {"error": str(exc)})
        self.answer(lambda: enqueue(ref, body))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog of 5 drops the SYNs of a load's users connecting
    # at once; each dropped one is retried a second later, a 1 s request.
    request_queue_size = 128


def main() -> None:
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    pool.open(wait=False)
    Server(("0.0.0.0", LISTEN_PORT), Handler).serve_forever()


if __name__ == "__main__":
    main()
