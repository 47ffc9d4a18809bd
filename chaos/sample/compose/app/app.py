"""The sample service of the default lab: a tiny shop over PostgreSQL.

Deliberately ordinary: a threaded HTTP server, a psycopg connection pool with
timeouts, and handlers that turn database trouble into the answers production
services give (500 on a failed query, 503 when no connection can be had, 504
when the database is too slow) instead of crashing.

    GET  /health              touches the database (SELECT 1 through the pool)
    GET  /products/<id>       a read; needs the products.price_cents column
    POST /orders              a write: {"product_id": N, "qty": N, "client_ref": uuid}
                              -> 201 {"id": <id of the committed row>}
    GET  /stats               how many requests this process answered, by status
    GET  /metrics             Prometheus metrics (text exposition format):
                              http_requests_total{route, method, code} and
                              http_request_duration_seconds{route} (a histogram)

Every response is counted in the metrics, whatever answered it (a handler, a
database error, the server's own 400/501), under the route *pattern* it matched
(``/products/{id}``, never the raw path; ``other`` for any unknown path), so the
number of series stays bounded. ``/health`` and ``/metrics`` are counted too,
under their own routes: they are real answers (a failing /health is worth
seeing), but probes and scrapes, not users, so alerting rules leave them out of
the SLI (``prometheus/rules/``).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import prometheus_client
import psycopg
from prometheus_client import Counter as MetricCounter
from prometheus_client import Histogram
from psycopg_pool import ConnectionPool, PoolTimeout

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://chaos:chaos@db:5432/app")
POOL_MAX = int(os.environ.get("POOL_MAX", "10"))
POOL_TIMEOUT_S = float(os.environ.get("POOL_TIMEOUT_S", "2"))
STATEMENT_TIMEOUT_MS = int(os.environ.get("STATEMENT_TIMEOUT_MS", "2000"))
PORT = int(os.environ.get("PORT", "8080"))

pool = ConnectionPool(
    DATABASE_URL,
    min_size=2,
    max_size=POOL_MAX,
    timeout=POOL_TIMEOUT_S,
    # Without these a dead database would hang a request forever: the client
    # would see a timeout from its own side rather than a clean 5xx from ours.
    # (No `check=`: that needs psycopg-pool 3.2, and the offline image has 3.1.)
    kwargs={
        "connect_timeout": 2,
        "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        "autocommit": True,
    },
    open=False,
)

served: Counter[str] = Counter()
served_lock = threading.Lock()
PRODUCT = re.compile(r"^/products/(\d+)$")

# ---------------------------------------------------------------- metrics

ROUTES = ("/health", "/stats", "/metrics", "/orders")   # matched exactly, as do_GET/do_POST do
PRODUCT_ROUTE = "/products/{id}"
OTHER_ROUTE = "other"           # every path nothing answers: one series, not one per path
METHODS = ("GET", "POST")       # anything else is "other" (the server answers it 501)

REQUESTS = MetricCounter("http_requests", "HTTP responses sent, by route pattern, method "
                         "and status code", ["route", "method", "code"])
# The service answers in milliseconds; the top buckets are for the timeouts: a statement
# is cancelled after 2 s (504) and a connection waited for up to 2 s (503), so a request
# that waits for a connection and then times out its statement takes up to ~4 s.
DURATION = Histogram("http_request_duration_seconds", "Time from the request line read to "
                     "the response headers sent, by route pattern", ["route"],
                     buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                              1, 2, 2.5, 5))
# The answers the shop's routes give, exported as 0 from the start. An error series that
# first appears with the first error has no earlier sample, so rate() over it is empty
# until the next scrape: the error ratio would lag an outage by one scrape interval.
for _route, _method, _codes in ((PRODUCT_ROUTE, "GET", (200, 404, 500, 503, 504)),
                                ("/orders", "POST", (201, 400, 404, 500, 503, 504)),
                                ("/health", "GET", (200, 500, 503, 504))):
    DURATION.labels(_route)
    for _code in _codes:
        REQUESTS.labels(_route, _method, str(_code))


def route_of(path: str) -> str:
    """The route pattern a request path falls under (its label in the metrics)."""
    if path in ROUTES:
        return path
    return PRODUCT_ROUTE if PRODUCT.match(path) else OTHER_ROUTE


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    started: float | None = None
    status: int | None = None
    route = OTHER_ROUTE

    def log_message(self, fmt: str, *args: object) -> None:  # keep stdout quiet under load
        pass

    # The three hooks below see every response, including the server's own errors
    # (400 for a bad request line, 501 for an unknown method) that never reach do_*.

    def parse_request(self) -> bool:
        # Timed from here, once the request line is in: on a kept-alive connection the
        # wait for the next request is the client's idle time, not our latency.
        self.started, self.status = time.monotonic(), None
        ok = super().parse_request()
        if ok:
            self.route = route_of(self.path)
        return ok

    def send_response(self, code: int, message: str | None = None) -> None:
        self.status = code
        super().send_response(code, message)

    def end_headers(self) -> None:
        # Counted before the headers leave, so that a client holding its answer finds
        # it in /metrics (a count after the body is written would race the next scrape).
        # (No status: the interim "100 Continue", which is not a response to count.)
        if self.status is not None:
            method = self.command if self.command in METHODS else "other"
            REQUESTS.labels(self.route, method, str(self.status)).inc()
            if self.started is not None:
                DURATION.labels(self.route).observe(time.monotonic() - self.started)
            # a 414 is sent before parse_request: it must not inherit this request's
            self.started, self.status, self.route = None, None, OTHER_ROUTE
        super().end_headers()

    def reply(self, status: int, body: dict[str, Any]) -> None:
        self.send(status, json.dumps(body).encode(), "application/json")

    def send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with served_lock:
            served[str(status)] += 1

    def guarded(self, work: Callable[[], tuple[int, dict[str, Any]]]) -> None:
        try:
            status, body = work()
        except PoolTimeout as exc:
            status, body = 503, {"error": f"no database connection: {exc}"}
        except psycopg.errors.QueryCanceled as exc:
            status, body = 504, {"error": f"database too slow: {exc}"}
        except psycopg.Error as exc:
            status, body = 500, {"error": f"{type(exc).__name__}: {exc}".strip()}
        except Exception as exc:  # a bug must cost one request, never the process
            status, body = 500, {"error": f"internal: {type(exc).__name__}: {exc}"}
        self.reply(status, body)

    def do_GET(self) -> None:
        if self.path == "/health":
            self.guarded(health)
        elif self.path == "/stats":
            with served_lock:  # copy, then reply: reply() takes this (non-reentrant) lock
                counts = dict(served)
            self.reply(200, {"served": counts})
        elif self.path == "/metrics":
            self.send(200, prometheus_client.generate_latest(),
                      prometheus_client.CONTENT_TYPE_LATEST)
        elif m := PRODUCT.match(self.path):
            self.guarded(lambda: read_product(int(m.group(1))))
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        if self.path != "/orders":
            self.reply(404, {"error": "not found"})
            return
        try:
            order = json.loads(raw)
            product_id, qty = int(order["product_id"]), int(order.get("qty", 1))
            client_ref = order.get("client_ref")
        except (ValueError, KeyError, TypeError):
            self.reply(400, {"error": "expected {\"product_id\": int, \"qty\": int}"})
            return
        self.guarded(lambda: create_order(product_id, qty, client_ref))


def health() -> tuple[int, dict[str, Any]]:
    with pool.connection() as conn:
        conn.execute("SELECT 1")
    return 200, {"status": "ok"}


def read_product(product_id: int) -> tuple[int, dict[str, Any]]:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT id, name, price_cents FROM products WHERE id = %s", (product_id,)
        ).fetchone()
    if row is None:
        return 404, {"error": "no such product"}
    if row[2] is None:
        return 500, {"error": f"product {product_id} has no price"}
    return 200, {"id": row[0], "name": row[1], "price_cents": row[2]}


def create_order(product_id: int, qty: int,
                 client_ref: str | None) -> tuple[int, dict[str, Any]]:
    with pool.connection() as conn:
        row = conn.execute(
            "INSERT INTO orders (product_id, qty, total_cents, client_ref)"
            " SELECT id, %s, price_cents * %s, %s FROM products WHERE id = %s"
            " RETURNING id",
            (qty, qty, client_ref, product_id),
        ).fetchone()
    if row is None:
        return 404, {"error": "no such product"}
    return 201, {"id": row[0]}


def main() -> None:
    pool.open(wait=False)
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
