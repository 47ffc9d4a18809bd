"""The lab images on a real engine: built offline once, then reused; db and app work."""

from __future__ import annotations

import io
import secrets
import tarfile
import time

import psycopg
import pytest

from chaos.lab.images.labset import build_images, images_ready
from chaos.lab.images.recipes import APP_TAG, DB_TAG, HELPER_IMAGE, PYBASE_TAG

pytestmark = pytest.mark.docker

INIT_SQL = """\
CREATE TABLE probe (id integer PRIMARY KEY, note text NOT NULL);
INSERT INTO probe VALUES (1, 'from initdb.d'), (2, 'ünïcödé');
"""
INIT_SH = """\
#!/bin/sh
set -e
psql -v ON_ERROR_STOP=1 -d "$POSTGRES_DB" -c "INSERT INTO probe VALUES (3, 'from sh')"
"""


def _tar(files: dict[str, tuple[str, int]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, (text, mode) in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _remove(container) -> None:
    try:
        container.remove(force=True, v=True)
    except Exception:
        pass


def _run_to_end(client, image: str, command: list[str], labels: dict[str, str],
                **kwargs) -> tuple[int, str]:
    c = client.containers.create(image, command=command, labels=labels, **kwargs)
    try:
        c.start()
        rc = c.wait(timeout=60)["StatusCode"]
        return rc, c.logs().decode(errors="replace")
    finally:
        _remove(c)


def test_db_image_initialises_from_env_and_serves_tcp(lab_images, docker_client, test_label):
    user, db, password = "probe_user", "probe_db", secrets.token_hex(8)
    c = docker_client.containers.create(
        DB_TAG,
        environment={"POSTGRES_USER": user, "POSTGRES_PASSWORD": password, "POSTGRES_DB": db},
        ports={"5432/tcp": ("127.0.0.1", None)},
        labels=test_label,
    )
    try:
        assert c.put_archive("/docker-entrypoint-initdb.d",
                             _tar({"01-probe.sql": (INIT_SQL, 0o644),
                                   "02-probe.sh": (INIT_SH, 0o755)}))
        c.start()
        deadline = time.monotonic() + 90
        while True:
            rc, _ = c.exec_run(["pg_isready", "-q", "-h", "127.0.0.1", "-U", user, "-d", db])
            if rc == 0:
                break
            c.reload()
            assert c.status == "running", c.logs().decode(errors="replace")
            assert time.monotonic() < deadline, c.logs().decode(errors="replace")
            time.sleep(0.5)

        c.reload()
        port = int(c.ports["5432/tcp"][0]["HostPort"])
        dsn = f"host=127.0.0.1 port={port} dbname={db} user={user} connect_timeout=10"
        with psycopg.connect(f"{dsn} password={password}") as conn:
            rows = conn.execute("SELECT id, note FROM probe ORDER BY id").fetchall()
            assert rows == [(1, "from initdb.d"), (2, "ünïcödé"), (3, "from sh")]
            assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)
            assert conn.execute("SELECT current_user").fetchone() == (user,)
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(f"{dsn} password=wrong-{password}").close()

        # The tools the recovery steps use, on PATH inside the container.
        rc, out = c.exec_run(["psql", "-U", user, "-d", db, "-Atc", "SELECT count(*) FROM probe"])
        assert (rc, out.strip()) == (0, b"3")
        for tool in ("pg_dump", "pg_restore", "pg_isready"):
            rc, out = c.exec_run([tool, "--version"])
            assert rc == 0 and b"15." in out, (tool, out)
        rc, _ = c.exec_run(["sh", "-c", f"pg_dump -U {user} -Fc {db} | pg_restore -l >/dev/null"])
        assert rc == 0

        attrs = docker_client.api.inspect_image(DB_TAG)["Config"]
        assert attrs["StopSignal"] == "SIGINT"
    finally:
        _remove(c)


def test_db_image_refuses_to_start_without_password(lab_images, docker_client, test_label):
    rc, logs = _run_to_end(docker_client, DB_TAG, [], test_label)
    assert rc != 0
    assert "POSTGRES_PASSWORD" in logs


def test_app_image_has_psycopg_pool(lab_images, docker_client, test_label):
    rc, out = _run_to_end(
        docker_client, APP_TAG,
        ["python3", "-c", "import psycopg, psycopg_pool; "
         "print('ok', psycopg_pool.__name__)"],
        test_label)
    assert (rc, out.strip()) == (0, "ok psycopg_pool")


def test_helper_image_has_tc(lab_images, docker_client, test_label):
    assert HELPER_IMAGE == PYBASE_TAG
    rc, out = _run_to_end(docker_client, HELPER_IMAGE, ["sh", "-c", "tc -V && ip -V && ps -p 1"],
                          test_label)
    assert rc == 0, out
    assert "iproute2" in out


def test_second_build_rebuilds_nothing(lab_images, docker_client):
    t0 = time.monotonic()
    infos = build_images(offline=True, client=docker_client, log=lambda m: None)
    elapsed = time.monotonic() - t0
    assert {i.tag for i in infos} == {PYBASE_TAG, DB_TAG, APP_TAG}
    assert [i.tag for i in infos if i.built] == []
    assert {i.tag: i.id for i in infos} == {t: lab_images[t].id
                                            for t in (PYBASE_TAG, DB_TAG, APP_TAG)}
    assert elapsed < 5, elapsed
    assert images_ready(docker_client)
    # the automatic mode reuses the complete offline set without touching a registry
    t0 = time.monotonic()
    auto = build_images(offline=None, client=docker_client, log=lambda m: None)
    assert [i.built for i in auto] == [False, False, False]
    assert time.monotonic() - t0 < 5


def test_app_image_serves_against_db_image(lab_images, docker_client, test_label):
    """The two images together: the app answers /health through its pool."""
    net = docker_client.networks.create(f"chaos-{test_label['chaos.lab']}", labels=test_label)
    db = app = None
    try:
        db = docker_client.containers.run(
            DB_TAG, detach=True, labels=test_label, network=net.name,
            environment={"POSTGRES_USER": "chaos", "POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "app"})
        net.disconnect(db)
        net.connect(db, aliases=["db"])
        app = docker_client.containers.run(
            APP_TAG, detach=True, labels=test_label, network=net.name,
            environment={"DATABASE_URL": "postgresql://chaos:pw@db:5432/app"})
        deadline = time.monotonic() + 90
        while True:
            rc, out = app.exec_run(["python3", "/srv/healthcheck.py"])
            if rc == 0:
                break
            app.reload()
            assert app.status == "running", app.logs().decode(errors="replace")
            assert time.monotonic() < deadline, (out, app.logs().decode(errors="replace"))
            time.sleep(0.5)
    finally:
        for c in (app, db):
            if c is not None:
                _remove(c)
        net.remove()
