"""Every fault family on one shared lab (real Docker, PostgreSQL and Locust), with short trials.

After each test the lab must be as it was (nothing paused, no helper container,
no toxic, no session or lock of ours, limits back), and an unlabelled container
and network started beside it must be untouched. Tolerances come from the trial
settings in faults_helpers (alert window 2 s, for 1 s, steady state 3 s) and
the load's 5 s request timeout.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request

import psycopg
import pytest

from chaos.lab.engine import client
from tests.integration.faults_helpers import (
    HOLD,
    STEADY,
    WINDOW,
    lab_is_clean,
    run_trial,
    scenario_doc,
    start_lab,
)

pytestmark = pytest.mark.docker

REQUEST_TIMEOUT = 5.0


@pytest.fixture(scope="module")
def bystanders(lab_images):
    """An unlabelled network and container: no fault may touch them."""
    c = client()
    net = c.networks.create(f"bystander-{secrets.token_hex(3)}")
    box = c.containers.run("chaos/pybase:bookworm", ["sleep", "3600"], detach=True,
                           network=net.name)
    yield net, box
    box.remove(force=True)
    net.remove()


@pytest.fixture(scope="module")
def lab(lab_images, bystanders):
    lab = start_lab()
    yield lab
    lab.down()


@pytest.fixture(autouse=True)
def always_reverted(lab, bystanders):
    db = lab.container("db")
    limits = {k: db.attrs["HostConfig"][k] for k in ("CpuQuota", "Memory")}
    yield
    assert lab_is_clean(lab) == []
    db.reload()
    assert db.attrs["HostConfig"]["CpuQuota"] in (0, -1, limits["CpuQuota"])
    assert db.attrs["HostConfig"]["Memory"] in (limits["Memory"],
                                                 client().info()["MemTotal"] // 4096 * 4096)
    net, box = bystanders
    box.reload()
    assert box.status == "running"
    assert list(box.attrs["NetworkSettings"]["Networks"]) == [net.name]


def fault(type_: str, at: float, duration: float | None = None, **params) -> dict:
    f = {"type": type_, "at": f"{at}s", **params}
    if duration is not None:
        f["duration"] = f"{duration}s"
    return f


def events(result: dict, kind: str) -> list[dict]:
    return [e for e in result["events"] if e["kind"] == kind]


def test_pause_gives_ttm_close_to_the_pause(lab, tmp_path):
    pause = 8.0
    r = run_trial(lab, scenario_doc([fault("pause", 4, pause, target="db")]), tmp_path)
    assert r["state"].end_reason == "recovered"
    # Requests hang while the db is frozen: the first fail on the pool's 2 s timeout,
    # so the alert fires within its `for` after about 2 s + the window.
    assert HOLD <= r["ttd_s"] <= 2 + WINDOW + HOLD + 1
    # Errors stop when the db thaws (hung requests complete at once), never later
    # than one request timeout after it.
    assert pause - 1 <= r["ttm_s"] <= pause + REQUEST_TIMEOUT
    assert r["ttr_s"] == pytest.approx(r["ttm_s"] + STEADY, abs=0.01)


def test_kill_without_duration_is_started_again_at_trial_end(lab, tmp_path):
    doc = scenario_doc([fault("kill", 3, target="db")], time_limit="12s")
    r = run_trial(lab, doc, tmp_path)
    assert r["state"].end_reason == "time_limit"       # no restart policy, no recovery
    assert r["failed_requests"] > 0
    assert lab.container("db").status == "running"      # cleanup started it again


def test_connection_exhaustion_holds_every_slot(lab, tmp_path):
    r = run_trial(lab, scenario_doc([fault("connection_exhaustion", 3, 8)]), tmp_path)
    applied = events(r, "fault_applied")[0]
    assert applied["held"] >= applied["max_connections"] - 5
    assert r["failed_requests"] > 0 and r["ttd_s"] is not None
    assert r["ttm_s"] <= 8 + REQUEST_TIMEOUT + 5   # the pool reconnects with back-off


def test_lock_table_makes_requests_time_out(lab, tmp_path):
    r = run_trial(lab, scenario_doc([fault("lock_table", 3, 6, table="products")]), tmp_path)
    assert r["failed_requests"] > 0
    # Statements queued behind the lock give up after the app's 2 s statement timeout,
    # so the ones queued in the lock's last 2 s succeed: errors stop up to 2 s early.
    assert 6 - 2 - 1 <= r["ttm_s"] <= 6 + 1


def test_long_transaction_blocks_ddl_and_queues_queries(lab, tmp_path):
    ddl = "ALTER TABLE products ADD COLUMN note text"
    doc = scenario_doc([fault("long_transaction", 3, 6, table="products", blocked_ddl=ddl)])
    r = run_trial(lab, doc, tmp_path)
    assert r["failed_requests"] > 0
    with psycopg.connect(lab.db_dsn) as conn:   # the DDL was rolled back
        cols = {row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'products'")}
    assert "note" not in cols


def test_limit_is_applied_and_restored(lab, tmp_path):
    db = lab.container("db")
    seen = {}

    def tick(trial):
        if trial.status().faults[0].state == "active" and not seen:
            db.reload()
            seen.update(db.attrs["HostConfig"])

    doc = scenario_doc([fault("limit", 2, 4, target="db", cpus=0.1, memory="512m")],
                       time_limit="10s")
    r = run_trial(lab, doc, tmp_path, on_tick=tick)
    assert seen["CpuQuota"] == 10_000 and seen["Memory"] == 512 << 20
    assert events(r, "fault_reverted")


def test_latency_through_the_proxy_slows_requests(lab, tmp_path):
    r = run_trial(lab, scenario_doc([fault("latency", 3, 6, latency="1s", jitter="100ms")]),
                  tmp_path)
    applied = events(r, "fault_applied")[0]
    assert applied["path"] in ("netem", "proxy")
    fired = {e["name"]: e["t"] for e in events(r, "detector_fired")}
    assert "slow" in fired and 3 + HOLD <= fired["slow"] <= 3 + 1 + WINDOW + HOLD + 1


def test_partition_then_reconnected_with_alias(lab, tmp_path):
    r = run_trial(lab, scenario_doc([fault("partition", 3, 6)]), tmp_path)
    assert r["failed_requests"] > 0 and r["state"].end_reason == "recovered"
    db = lab.container("db")
    aliases = [a for n in db.attrs["NetworkSettings"]["Networks"].values()
               for a in n.get("Aliases") or []]
    assert "db" in aliases


def test_overlapping_faults_each_have_their_own_start_and_end(lab, tmp_path):
    faults = [fault("loss", 3, 6, percent=30), fault("bandwidth", 5, 6, rate=2),
              fault("reset", 7)]
    r = run_trial(lab, scenario_doc(faults), tmp_path)
    starts = {e["index"]: e["t"] for e in events(r, "fault_injected")}
    ends = {e["index"]: e["t"] for e in events(r, "fault_reverted")}
    assert starts[0] == pytest.approx(3, abs=0.3) and starts[1] == pytest.approx(5, abs=0.3)
    assert ends[0] == pytest.approx(9, abs=0.5) and ends[1] == pytest.approx(11, abs=0.5)
    assert starts[2] == pytest.approx(7, abs=0.3) and 2 not in ends   # instant
    assert starts[0] < starts[1] < ends[0] < ends[1]                  # they overlapped


def test_data_faults_break_reads_and_are_repaired(lab, tmp_path):
    faults = [fault("drop_index", 2, 5, index="products_pkey"),
              fault("corrupt_rows", 4, table="products", column="price_cents", rows=2000,
                    value=None, drop_constraints=True)]
    doc = scenario_doc(faults, backups={"every": "1s"},
                       recovery={"trigger": "on_detect", "delay": "2s",
                                 "steps": [{"restore_backup": "latest"}]})
    r = run_trial(lab, doc, tmp_path)
    assert r["failed_requests"] > 0 and r["state"].end_reason == "recovered"
    with psycopg.connect(lab.db_dsn) as conn:
        nulls = conn.execute("SELECT count(*) FROM products WHERE price_cents IS NULL").fetchone()
        keys = conn.execute("SELECT count(*) FROM pg_constraint WHERE conname IN"
                            " ('products_pkey', 'orders_product_id_fkey')").fetchone()
    assert nulls[0] == 0 and keys[0] == 2


def _http(url: str, body: dict | None = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_disk_full_fails_writes_not_reads_and_leaves_no_ballast(lab, tmp_path):
    db, url = lab.container("db"), lab.app_url
    seen: dict = {"reads": [], "writes": [], "ballast": None}

    def tick(trial):
        if trial.status().faults[0].state != "active":
            return
        if seen["ballast"] is None:
            seen["ballast"] = db.exec_run(["stat", "-c", "%s", "/var/lib/chaos-disk/chaos-ballast"])
            seen["mount"] = db.exec_run(["stat", "-f", "-c", "%T", "/var/lib/chaos-disk"])[1]
        seen["reads"].append(_http(f"{url}/products/{len(seen['reads']) % 100 + 1}"))
        seen["writes"].append(_http(f"{url}/orders", {"product_id": 1, "qty": 1}))

    doc = scenario_doc([fault("disk_full", 2, 6, table="orders", size="32m")], time_limit="20s")
    r = run_trial(lab, doc, tmp_path, on_tick=tick)
    assert r["failed_requests"] > 0 and r["ttd_s"] is not None
    assert r["state"].end_reason == "recovered"
    # While the disk was full: every read answered; writes that needed a new page
    # failed (those that found room in the table's pages may still succeed).
    assert seen["reads"] and all(s == 200 for s in seen["reads"])
    assert 500 in seen["writes"] and set(seen["writes"]) <= {201, 500}
    # The ballast was in the tmpfs (memory), not on the host's disk.
    code, size = seen["ballast"]
    # (The host's free space is not compared: other writers share that disk.)
    assert code == 0 and int(size) > 16 << 20 and seen["mount"].strip() == b"tmpfs"
    # Reverted: the ballast is gone and writes succeed again.
    assert _http(f"{url}/orders", {"product_id": 1, "qty": 1}) == 201
    assert db.exec_run(["ls", "/var/lib/chaos-disk"])[1].strip() in (b"", b"pgdata")
    with psycopg.connect(lab.db_dsn) as conn:   # cleanup put the table back
        ts = conn.execute("SELECT reltablespace FROM pg_class WHERE relname = 'orders'").fetchone()
    assert ts[0] == 0
