"""The default lab on the real Docker engine: up, a real write read back, down, no leftovers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request

import psycopg
import pytest

from chaos.lab.engine import client
from chaos.lab.lab import Lab, LabSpec
from chaos.lab.resources import list_resources
from chaos.lab.start import start_lab
from chaos.measure.timeline import Clock, Timeline
from chaos.trial.context import TrialContext
from chaos.trial.loop import lab_workers
from tests.labmarker import CALLS, HOOKS_IN_ORDER, Marker

pytestmark = pytest.mark.docker

CHAOS = [sys.executable, "-m", "chaos"]


def http(method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def leftovers(lab_id: str) -> dict[str, int]:
    return {kind: len(items) for kind, items in list_resources(lab_id).items()}


@pytest.fixture
def two_labs(lab_images):
    labs = [Lab.create(LabSpec(), owner_pid=os.getpid()) for _ in range(2)]
    try:
        for lab in labs:
            lab.compose.up()
        for lab in labs:
            from chaos.lab.resources import wait_healthy

            wait_healthy(lab.id, timeout=180)
        yield labs
    finally:
        for lab in labs:
            lab.down()


def test_write_is_acknowledged_and_in_the_database(two_labs):
    lab = two_labs[0]
    status, body = http("GET", f"{lab.app_url}/health")
    assert (status, body) == (200, {"status": "ok"})

    status, body = http("POST", f"{lab.app_url}/orders", {"product_id": 42, "qty": 3})
    assert status == 201
    order_id = body["id"]
    with psycopg.connect(lab.db_dsn, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT o.product_id, o.qty, o.total_cents = p.price_cents * 3"
            " FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = %s",
            (order_id,),
        ).fetchone()
        seeded = conn.execute("SELECT count(*) FROM products").fetchone()[0]
    assert row == (42, 3, True)
    assert seeded >= 1000


def test_two_labs_do_not_collide(two_labs):
    a, b = two_labs
    assert a.project != b.project
    assert a.app_url != b.app_url
    published = [(lab.id, container.name, x) for lab in two_labs
                 for container in list_resources(lab.id)["containers"]
                 for binds in (container.attrs["NetworkSettings"]["Ports"] or {}).values()
                 for x in binds or []]
    assert published, "no published port at all (each lab's app has one)"
    assert all(x["HostIp"] == "127.0.0.1" for *_, x in published), published
    # a write in one lab is invisible in the other
    _, body = http("POST", f"{a.app_url}/orders", {"product_id": 7, "qty": 1})
    with psycopg.connect(b.db_dsn, connect_timeout=5) as conn:
        count = conn.execute(
            "SELECT count(*) FROM orders WHERE id = %s AND created_at > now() - interval '1 hour'",
            (body["id"],),
        ).fetchone()[0]
    assert count == 0


def test_cli_lab_up_status_down_leaves_nothing(lab_images):
    up = subprocess.run([*CHAOS, "lab", "up"], capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, up.stderr
    # Its own line: a warning about another lab left over may also name `chaos lab down`.
    lab_id = re.search(r"^tear down with: chaos lab down (\w+)$", up.stdout, re.M)[1]
    try:
        counts = leftovers(lab_id)
        assert counts["containers"] == 2 and counts["networks"] >= 1 and counts["volumes"] >= 1
        status = subprocess.run([*CHAOS, "lab", "status"], capture_output=True, text=True,
                                timeout=60)
        assert lab_id in status.stdout and "healthy" in status.stdout
        assert "app: http://127.0.0.1:" in up.stdout
        assert ":***@" in up.stdout  # the password is not printed
    finally:
        down = subprocess.run([*CHAOS, "lab", "down", lab_id], capture_output=True, text=True,
                              timeout=300)
    assert down.returncode == 0, down.stderr
    assert leftovers(lab_id) == {"containers": 0, "networks": 0, "volumes": 0}
    # the same check the way a user would make it, through the docker CLI
    for kind in ("ps -a", "network ls", "volume ls"):
        out = subprocess.run(["docker", *kind.split(), "-q",
                              "--filter", f"label=chaos.lab={lab_id}"],
                             capture_output=True, text=True).stdout
        assert out.strip() == "", kind


def test_unlabelled_container_survives_a_lab_down(lab_images):
    """Teardown selects by the lab's label only. Not `chaos lab down --all`: on an engine
    shared with other runs (CI's other worker, other sessions) it would take their labs
    down too; a lab of our own, named by id, goes through the same label sweep."""
    import secrets

    from chaos.lab import labels

    lab_id = secrets.token_hex(4)
    ours = client().containers.run("chaos/db:latest", ["sleep", "300"], entrypoint=[],
                                   detach=True, labels=labels.lab_labels(lab_id, os.getpid()))
    decoy = client().containers.run("chaos/db:latest", ["sleep", "300"], entrypoint=[],
                                    detach=True, labels={"purpose": "decoy"})
    try:
        subprocess.run([*CHAOS, "lab", "down", lab_id], check=True, timeout=300,
                       capture_output=True)
        decoy.reload()
        assert decoy.status == "running"
        assert not client().containers.list(all=True, filters={"id": ours.id})
    finally:
        decoy.remove(force=True)
        for left in client().containers.list(all=True, filters={"id": ours.id}):
            left.remove(force=True)


def test_a_container_frozen_behind_the_engines_back_is_thawed(lab_images):
    """The fallback of chaos/lab/freezer.py on the real kernel: a container whose
    cgroup is frozen (as a pause leaves it when the engine hangs) runs again."""
    import pathlib
    import time

    from chaos.lab.freezer import freezer_file, set_frozen, unpause
    from chaos.lab.images.recipes import HELPER_IMAGE

    c = client().containers.run(HELPER_IMAGE, ["python3", "-c", (
        "import time\nwhile True:\n    open('/tmp/tick','w').write(str(time.time()))\n"
        "    time.sleep(0.1)")], detach=True, labels={"chaos.lab": "freezer-test"})
    try:
        assert freezer_file(c.id) is not None, "no cgroup freezer for the container on this host"

        c.reload()
        upper = pathlib.Path(c.attrs["GraphDriver"]["Data"]["UpperDir"])

        def tick() -> str:      # read from the host: an exec would hang while frozen
            return (upper / "tmp" / "tick").read_text()

        time.sleep(0.5)
        assert set_frozen(c.id, True)
        time.sleep(0.3)
        first = tick()
        time.sleep(1.0)
        assert tick() == first               # frozen: no tick for a second
        assert set_frozen(c.id, False)
        time.sleep(0.5)
        assert float(tick()) > float(first) + 1.0   # thawed: it runs again
        # the engine's own pause, undone through the same entry point a fault uses
        c.pause()
        assert unpause(c.id) == {}
        c.reload()
        assert c.status == "running"
        assert unpause(c.id) == {}           # not paused: nothing to do, no error
    finally:
        c.remove(force=True)


def test_lab_down_misuse_touches_no_other_lab(lab_images, tmp_path):
    """An empty, path-like or unknown id is refused with exit 2 before anything is
    selected; another lab's container and a directory named like the id survive."""
    from chaos.lab.images.recipes import HELPER_IMAGE

    bystander = client().containers.run(HELPER_IMAGE, ["sleep", "300"], detach=True,
                                        labels={"chaos.lab": "0bad0bad"})
    some_dir = tmp_path / "SOME" / "DIR"
    some_dir.mkdir(parents=True)
    for name in ("lab.json", "override.yml"):
        (some_dir / name).write_text("keep me")
    try:
        for bad in ["", str(some_dir), "SOME/DIR", "12345678"]:
            done = subprocess.run([*CHAOS, "lab", "down", bad], cwd=tmp_path, timeout=120,
                                  capture_output=True, text=True)
            assert done.returncode == 2, (bad, done.stdout, done.stderr)
            assert "nothing was taken down" in done.stderr, (bad, done.stderr)
            assert "down" not in done.stdout, (bad, done.stdout)
            bystander.reload()
            assert bystander.status == "running", bad
        assert all((some_dir / n).read_text() == "keep me" for n in ("lab.json", "override.yml"))
        listed = subprocess.run([*CHAOS, "lab", "down", "12345678"], timeout=120,
                                capture_output=True, text=True)
        assert "0bad0bad" in listed.stderr       # the message names the labs that exist
    finally:
        bystander.remove(force=True)


def test_a_feature_of_the_test_suite_through_a_real_lab(lab_images, tmp_path):
    """The recipe of docs/architecture.md followed for real: a feature that lives in
    tests/labmarker.py reaches the database's container and sees every hook."""
    CALLS.clear()
    lab = start_lab(LabSpec(features=(Marker("real"),)), owner_pid=os.getpid())
    try:
        db = lab.container(lab.spec.db_service)
        assert "CHAOS_TEST_MARKER=real" in db.attrs["Config"]["Env"]
        assert db.labels["chaos.test.marker"] == "real" and db.labels["chaos.lab"] == lab.id
        clock = Clock()
        ctx = TrialContext(scenario=None, lab=lab, clock=clock, timeline=Timeline(clock, None),
                           backups=None, app_url=lab.app_url, db_dsn=lab.db_dsn, workdir=tmp_path)
        workers = lab_workers(ctx)
        for w in workers:
            w.start()
        for w in workers:
            w.stop()
        assert [e["kind"] for e in ctx.timeline.events] == ["marker_tick"]
        assert lab.between_trials() == [f"lab {lab.id}: marker reset"]
    finally:
        lab.down()
    assert CALLS == HOOKS_IN_ORDER
    assert not any(leftovers(lab.id).values())
