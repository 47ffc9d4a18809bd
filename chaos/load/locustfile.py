"""The locustfile chaos runs (in its own process: Locust monkey-patches gevent).

Every request becomes one JSON line in ``$CHAOS_OBS_DIR/obs-<pid>.jsonl``:

    {"t": <wall-clock start, s>, "ms": <latency>, "ok": true, "st": 201,
     "k": "w", "ref": "<client uuid>", "id": <acknowledged row id or null>}

``k`` is "r" (read) or "w" (write). A write is *acknowledged* when the app
answered 201 with an id; it is *unknown* when no answer came (timeout, dropped
connection): the database may or may not have committed it, and ``ref`` lets
the orchestrator look for it afterwards. One file per process, so that the
same listener works in Locust's distributed workers.
"""

from __future__ import annotations

import json
import os
import random
import uuid

from locust import FastHttpUser, between, events, task

OBS_DIR = os.environ.get("CHAOS_OBS_DIR", ".")
READ_WEIGHT = int(os.environ.get("CHAOS_MIX_READ", "8"))
WRITE_WEIGHT = int(os.environ.get("CHAOS_MIX_WRITE", "2"))
WAIT_MIN = float(os.environ.get("CHAOS_WAIT_MIN", "0.05"))
WAIT_MAX = float(os.environ.get("CHAOS_WAIT_MAX", "0.2"))
TIMEOUT_S = float(os.environ.get("CHAOS_REQUEST_TIMEOUT_S", "5"))
PRODUCTS = int(os.environ.get("CHAOS_PRODUCTS", "10000"))

_sink = None


def sink():
    # Opened lazily in the process that sends requests: with --processes or
    # --worker, that is a forked worker, and each gets its own file.
    global _sink
    if _sink is None:
        path = os.path.join(OBS_DIR, f"obs-{os.getpid()}.jsonl")
        _sink = open(path, "a", buffering=1, encoding="utf-8")  # line-buffered: live tail
    return _sink


@events.request.add_listener
def record(request_type, name, response_time, response, context, exception, start_time, **_kw):
    status = getattr(response, "status_code", 0) or 0
    line = {"t": round(start_time, 6), "ms": round(response_time or 0.0, 3),
            "ok": exception is None, "st": status, "k": context.get("k", "r")}
    if context.get("k") == "w":
        line["ref"] = context["ref"]
        if exception is None:
            try:
                line["id"] = response.json()["id"]
            except (ValueError, KeyError, TypeError):
                line["ok"] = False
    sink().write(json.dumps(line, separators=(",", ":")) + "\n")


@events.quitting.add_listener
def close_sink(**_kw):
    if _sink is not None:
        _sink.flush()


class Shopper(FastHttpUser):
    wait_time = between(WAIT_MIN, WAIT_MAX)
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S

    @task(READ_WEIGHT)
    def read(self):
        pid = random.randint(1, PRODUCTS)
        self.client.get(f"/products/{pid}", name="/products/[id]", context={"k": "r"})

    @task(WRITE_WEIGHT)
    def write(self):
        ref = str(uuid.uuid4())
        body = {"product_id": random.randint(1, PRODUCTS), "qty": 1, "client_ref": ref}
        with self.client.post("/orders", json=body, name="/orders", context={"k": "w", "ref": ref},
                              catch_response=True) as resp:
            if resp.status_code == 201:
                resp.success()
            else:
                resp.failure(f"HTTP {resp.status_code}")
