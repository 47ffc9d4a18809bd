"""A request the load could not send is a failed observation with its reason, never a
silence (issue #28).

Locust fires no request event when its client raises while building a request (an
invalid header, a URL it refuses) or when a task raises before it sends: before the
fix such requests dropped out of the measurement unseen. Each test runs a real Locust
subprocess for 3 s against a stdlib HTTP server on 127.0.0.1 and reads the
observation files the listener wrote.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaos.load.runner import LoadRunner, LoadSettings

RUN_S = 3
BOUND_S = 30     # Locust stops itself after RUN_S; this bounds the wait if it does not


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def observe(url: str, settings: LoadSettings, workdir: Path) -> list[dict[str, Any]]:
    load = LoadRunner(url, settings, workdir)
    load.start()
    try:
        deadline = time.monotonic() + BOUND_S
        while load.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        load.stop()
    lines = [json.loads(line) for f in [load.obs_file] if f.exists()
             for line in f.read_text(encoding="utf-8").splitlines() if line]
    lines = [d for d in lines if "ev" not in d]     # the lines about the load host
    log = "\n".join(f.read_text(errors="replace") for f in load.obs_dir.glob("*.log"))
    assert lines, f"no observation at all; Locust's log:\n{log[-3000:]}"
    return lines


def settings(**kw: Any) -> LoadSettings:
    return LoadSettings(users=2, spawn_rate=10, run_time_s=RUN_S, wait_min=0.05,
                        wait_max=0.1, **kw)


def test_a_declared_request_its_client_refuses_is_a_failed_observation(server, tmp_path):
    # Validation refuses such a header; the run-time path must not depend on it.
    bad = {"name": "euro header", "method": "GET", "path": "/", "headers": {"X-Price": "€"},
           "json": None, "weight": 1, "success": None, "write": None}
    good = {**bad, "name": "plain", "headers": {}}
    lines = observe(server, settings(requests=(bad, good)), tmp_path)
    unsent = [line for line in lines if line["n"] == "euro header"]
    assert unsent, lines[:5]
    assert all(not line["ok"] and line["st"] == 0 for line in unsent), unsent[:3]
    assert all("not sent" in line["err"] and "X-Price" in line["err"] for line in unsent)
    assert any(line["n"] == "plain" and line["ok"] for line in lines)   # the rest still go


LOCUSTFILE = '''
from locust import FastHttpUser, constant, task


class Shop(FastHttpUser):
    wait_time = constant(0.1)

    @task
    def checkout(self):
        self.client.get("/")
        body = {"qty": int("many")}      # a bug before the second request is sent
        self.client.post("/orders", json=body)
'''


def test_a_task_that_raises_before_sending_is_a_failed_observation(server, tmp_path):
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(LOCUSTFILE, encoding="utf-8")
    lines = observe(server, settings(locustfile=str(locustfile)), tmp_path / "run")
    failed = [line for line in lines if not line["ok"]]
    assert failed, lines[:5]
    assert all(line["n"] == "task error: checkout" for line in failed), failed[:3]
    assert all("invalid literal for int()" in line["err"] for line in failed), failed[:3]
    assert any(line["ok"] and line["st"] == 200 for line in lines)
