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
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: object) -> None:  # keep stdout quiet under load
        pass

    def reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
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
