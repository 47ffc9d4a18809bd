"""The data_loss query against a real PostgreSQL (the lab's db image): run in batches of
refs and streamed onto disk, it finds what the single query over every ref found."""

from __future__ import annotations

import random
import secrets
import time
import uuid

import psycopg
import pytest

from benchmarks.memory import DictWriteLog, dict_account
from chaos.measure.dataloss import WriteLog, account
from chaos.measure.observation import Observation
from chaos.measure.verify import NotMeasured, present_refs

pytestmark = pytest.mark.docker

QUERY = "SELECT client_ref::text FROM orders WHERE client_ref::text = ANY(%(refs)s)"
WRITES = 120_000            # three batches of the default 50,000


@pytest.fixture(scope="module")
def dsn(lab_images, docker_client):
    password = secrets.token_hex(8)
    c = docker_client.containers.run(
        "chaos/db", detach=True, ports={"5432/tcp": ("127.0.0.1", None)},
        labels={"chaos.lab": f"test-{secrets.token_hex(4)}"},
        environment={"POSTGRES_USER": "chaos", "POSTGRES_PASSWORD": password,
                     "POSTGRES_DB": "app"})
    try:
        deadline = time.monotonic() + 90
        while c.exec_run(["pg_isready", "-q", "-h", "127.0.0.1", "-U", "chaos", "-d", "app"])[0]:
            c.reload()
            assert c.status == "running" and time.monotonic() < deadline, c.logs()[-2000:]
            time.sleep(0.5)
        c.reload()
        port = c.ports["5432/tcp"][0]["HostPort"]
        url = f"host=127.0.0.1 port={port} dbname=app user=chaos password={password}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE orders (id bigserial, client_ref uuid UNIQUE)")
        yield url
    finally:
        c.remove(force=True, v=True)


def test_batched_query_equals_the_single_query(dsn):
    rng = random.Random(5)
    refs = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(WRITES)]
    old, new = DictWriteLog(), WriteLog()
    for i, ref in enumerate(refs):
        ok = i % 500 != 3                                  # some writes got no answer
        o = Observation(start=i / 1000, end=i / 1000 + 0.01, ok=ok, status=201 if ok else 0,
                        name="/orders", ref=ref)
        old.add(o, o.end, o.start)
        new.add(o, o.end, o.start)
    # A restore lost 1500 writes from the 60th second; half the unanswered ones landed.
    kept = [r for i, r in enumerate(refs)
            if not 60_000 <= i < 61_500 and (i % 500 != 3 or i // 500 % 2)]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE orders")
        with conn.cursor().copy("COPY orders (client_ref) FROM STDIN") as copy:
            for ref in kept:
                copy.write_row((ref,))
        # The single query of the previous code, over every ref at once.
        everything = list(old.acked) + list(old.unknown)
        found = {r for (r,) in conn.execute(QUERY, {"refs": everything}).fetchall()}
    want = dict_account(old, found, t_fault=60.0)
    got = account(new, present_refs(dsn, QUERY, new), t_fault=60.0)
    assert got == want
    assert got["lost"] == 1497 and 0 < got["unknown_found"] < got["unknown"] == 240
    small = WriteLog.of(acked={refs[i]: i / 1000 for i in range(59_000, 62_000) if i % 500 != 3})
    assert (account(small, present_refs(dsn, QUERY, small, batch=700), t_fault=60.0)["lost"]
            == 1497)


@pytest.mark.parametrize(("query", "says"), [
    ("SELECT client_ref::text, id FROM orders WHERE client_ref::text = ANY(%(refs)s)",
     "one column"),
    ("SELECT nope FROM orders WHERE client_ref::text = ANY(%(refs)s)", 'column "nope"'),
])
def test_a_bad_query_is_not_measured(dsn, query, says):
    log = WriteLog.of(acked={str(uuid.uuid4()): 1.0 for _ in range(10)})
    with pytest.raises(NotMeasured, match=says):
        account(log, present_refs(dsn, query, log, batch=3), t_fault=0.0)
