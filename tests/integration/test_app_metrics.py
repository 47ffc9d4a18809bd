"""The sample app's /metrics on the real Docker engine: every answer counted once, under
its route pattern, method and status, 500s from a broken database included."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import psycopg
import pytest

from chaos.lab.lab import Lab, LabSpec

pytestmark = pytest.mark.docker

SAMPLE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
# Docker's healthcheck asks /health every second meanwhile: its count is not ours to know.
PROBES = {"/health"}

Key = tuple[str, frozenset[tuple[str, str]]]


@pytest.fixture
def lab(lab_images) -> Iterator[Lab]:
    lab = Lab.create(LabSpec(), owner_pid=os.getpid())
    try:
        lab.up(log=lambda m: None)
        yield lab
    finally:
        lab.down()


def status_of(method: str, url: str, body: bytes | None = None) -> int:
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def scrape(app_url: str) -> dict[Key, float]:
    """/metrics as {(name, labels): value}, after checking it is the text format."""
    with urllib.request.urlopen(f"{app_url}/metrics", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = resp.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            m = SAMPLE.match(line)
            assert m, line
            out[(m[1], frozenset(LABEL.findall(m[2] or "")))] = float(m[3])
    return out


def deltas(before: dict[Key, float], after: dict[Key, float], name: str,
           by: tuple[str, ...]) -> dict[tuple[str, ...], float]:
    """How much each series of ``name`` grew, keyed by the values of its labels ``by``."""
    out = {}
    for (n, labels), value in after.items():
        d = dict(labels)
        if n == name and d.get("route") not in PROBES and value != before.get((n, labels), 0):
            out[tuple(d[k] for k in by)] = value - before.get((n, labels), 0)
    return out


def test_every_answer_is_counted_by_route_method_and_code(lab):
    url = lab.app_url
    order = b'{"product_id": 7, "qty": 1}'
    before = scrape(url)
    sent = [status_of("GET", f"{url}/products/{i}") for i in range(1, 6)]
    sent += [status_of("GET", f"{url}/products/999999999") for _ in range(3)]
    sent += [status_of("GET", f"{url}/no/such/path/{i}") for i in range(2)]  # one label
    sent += [status_of("POST", f"{url}/orders", order) for _ in range(4)]
    sent += [status_of("POST", f"{url}/orders", b"not json")]
    with psycopg.connect(lab.db_dsn, autocommit=True, connect_timeout=5) as conn:
        conn.execute("ALTER TABLE products RENAME COLUMN price_cents TO price_gone")
    sent += [status_of("GET", f"{url}/products/{i}") for i in range(1, 4)]
    sent += [status_of("POST", f"{url}/orders", order) for _ in range(2)]
    assert sent == [200] * 5 + [404] * 5 + [201] * 4 + [400] + [500] * 5
    after = scrape(url)

    assert deltas(before, after, "http_requests_total", ("route", "method", "code")) == {
        ("/products/{id}", "GET", "200"): 5,
        ("/products/{id}", "GET", "404"): 3,
        ("/products/{id}", "GET", "500"): 3,
        ("other", "GET", "404"): 2,
        ("/orders", "POST", "201"): 4,
        ("/orders", "POST", "400"): 1,
        ("/orders", "POST", "500"): 2,
        ("/metrics", "GET", "200"): 1,   # the first scrape; the second is not in itself
    }
    counts = deltas(before, after, "http_request_duration_seconds_count", ("route",))
    assert counts == {("/products/{id}",): 11, ("other",): 2, ("/orders",): 7, ("/metrics",): 1}
    assert deltas(before, after, "http_request_duration_seconds_bucket", ("route", "le"))[
        ("/products/{id}", "+Inf")] == 11
    assert deltas(before, after, "http_request_duration_seconds_sum", ("route",))[
        ("/products/{id}",)] > 0
