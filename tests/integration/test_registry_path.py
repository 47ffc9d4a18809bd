"""The registry path for real: a local registry (Debian's ``docker-registry``), pulled from.

The fixture starts ``docker-registry serve`` on 127.0.0.1:<free port> (the engine
speaks plain HTTP to 127.0.0.0/8 registries by default) and pushes there, under the
names the online build pulls (``postgres:16``, ``python:3.12-slim``), images made
from our own chaos/db and chaos/pybase plus one small marker layer each. Then:

* ``chaos lab up`` with ``CHAOS_DB_SOURCE_IMAGE`` / ``CHAOS_APP_BASE_IMAGE`` pointing
  there pulls both (the registry's access log shows the marker layers downloaded),
  derives the db and app images, and the lab turns healthy on them;
* with the registry stopped, ``offline=None`` gives up on it in well under a second and
  falls back to the offline set, and ``--online`` fails with a clear message (exit 3).

Every image is named under a per-run prefix (``CHAOS_IMAGE_PREFIX``), so the
chaos/db, chaos/pybase and chaos/app other tests use are never retagged; all carry
``chaos.lab=test-<token>`` or one of our per-run names, and are removed by those only.

What this cannot prove: the upstream images themselves are not reachable here, so
the image served as ``postgres:16`` is our Debian PostgreSQL 15 with an entrypoint
honouring the same ``POSTGRES_*`` variables, and the one served as
``python:3.12-slim`` already has psycopg (the app's Dockerfile skips its
``pip install``). See docs/images.md.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from chaos.errors import LabError
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.labset import build_images, images_ready
from chaos.lab.images.online import SOURCE_LABEL
from chaos.lab.images.recipes import DB_TAG, MODE_LABEL, PYBASE_TAG, RECIPE_LABEL, db_online_recipe
from tests.needs import need_tool

pytestmark = pytest.mark.docker

CHAOS = [sys.executable, "-m", "chaos"]
MARKER = "/etc/chaos-registry-marker"
TIMES: dict[str, float] = {}   # what the module measured, printed at the end


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Registry:
    """``docker-registry serve`` as a child process, with its own storage and log."""

    binary: str
    root: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    pushed: dict[str, str] = field(default_factory=dict)   # ref -> manifest digest

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.root / "registry.log"

    def start(self) -> None:
        for _attempt in range(3):   # the free port can be taken between probe and bind
            self.port = _free_port()
            config = self.root / "config.yml"
            config.write_text(
                "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n"
                f"storage:\n  filesystem:\n    rootdirectory: {self.root / 'storage'}\n"
                f"  delete:\n    enabled: true\nhttp:\n  addr: {self.host}\n")
            with open(self.log_file, "ab") as log:
                self.proc = subprocess.Popen([self.binary, "serve", str(config)],
                                             stdout=log, stderr=subprocess.STDOUT)
            if self._answers(timeout=10):
                return
            self.stop()
        pytest.fail(f"docker-registry did not start; its log:\n{self.log_file.read_text()}")

    def _answers(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2) as r:
                    if r.status == 200:
                        return True
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request in the access log."""
        pattern = re.compile(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP/[\d.]+" (\d{3})')
        return [(m[1], m[2], int(m[3])) for m in pattern.finditer(self.log_file.read_text())]


def _tar(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, text in files.items():
            data = text.encode()
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode = len(data), 0o644
            tar.addfile(entry, io.BytesIO(data))
    return buf.getvalue()


def _push(client: Any, ref: str) -> str:
    """``docker push``; the manifest digest the registry stored."""
    repo, _, tag = ref.rpartition(":")
    digest = ""
    for chunk in client.images.push(repo, tag=tag, stream=True, decode=True):
        if "error" in chunk:
            raise AssertionError(f"push of {ref} failed: {chunk['error']}")
        digest = (chunk.get("aux") or {}).get("Digest", digest)
    assert digest.startswith("sha256:"), f"push of {ref} reported no digest"
    return str(digest)


def _remove_tag(client: Any, ref: str) -> None:
    """Drop one of our names; an image that still has other names keeps them."""
    import docker

    try:
        client.images.remove(ref, force=False, noprune=False)
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.APIError as exc:
        print(f"could not remove {ref}: {exc}")


@pytest.fixture(scope="module")
def registry_binary() -> str:
    return need_tool("docker-registry")


@dataclass
class Setup:
    registry: Registry
    token: str
    label: dict[str, str]
    names: ImageNames            # the set the registry path builds
    env: dict[str, str]          # what `chaos lab up` is run with


@pytest.fixture(scope="module")
def setup(registry_binary, lab_images, docker_client, tmp_path_factory) -> Iterator[Setup]:
    """A running registry holding postgres:16 and python:3.12-slim made from our images."""
    token = secrets.token_hex(4)
    label = {"chaos.lab": f"test-{token}"}
    registry = Registry(registry_binary, tmp_path_factory.mktemp("registry"))
    registry.start()
    names = ImageNames.with_prefix(f"chaos-regtest-{token}/",
                                   db_source=f"{registry.host}/postgres:16",
                                   app_base=f"{registry.host}/python:3.12-slim")
    ours: list[str] = [names.db_source, names.app_base, *names.tags(True),
                       f"chaos-regtest-{token}-fb/pybase:bookworm",
                       f"chaos-regtest-{token}-fb/db:latest",
                       f"chaos-regtest-{token}-fb/app:latest"]
    try:
        for ref, local in ((names.db_source, DB_TAG), (names.app_base, PYBASE_TAG)):
            # one small layer of our own on top, so that a pull must really download
            context = _tar({"Dockerfile": f"FROM {local}\nCOPY marker {MARKER}\n",
                            "marker": token + "\n"})
            docker_client.images.build(fileobj=io.BytesIO(context), custom_context=True,
                                       tag=ref, pull=False, rm=True, labels=label)
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=2) as pool:
            digests = pool.map(lambda r: (r, _push(docker_client, r)),
                               (names.db_source, names.app_base))
            registry.pushed = dict(digests)
        TIMES["push both (s)"] = time.monotonic() - t0
        for ref in registry.pushed:   # gone from the engine: `lab up` has to pull them
            _remove_tag(docker_client, ref)
            assert docker_client.images.list(name=ref) == []
        env = {**os.environ, "CHAOS_IMAGE_PREFIX": f"chaos-regtest-{token}/",
               "CHAOS_DB_SOURCE_IMAGE": names.db_source, "CHAOS_APP_BASE_IMAGE": names.app_base,
               "CHAOS_DB_IMAGE": names.db, "CHAOS_APP_IMAGE": names.app}
        yield Setup(registry, token, label, names, env)
    finally:
        registry.stop()
        for ref in ours:
            _remove_tag(docker_client, ref)
        for img in docker_client.images.list(filters={"label": f"chaos.lab=test-{token}"}):
            for tag in img.tags:
                _remove_tag(docker_client, tag)
        print("registry path timings: " + ", ".join(f"{k} {v:.2f}" for k, v in TIMES.items()))


@dataclass
class UpLab:
    id: str
    stdout: str
    seconds: float


@pytest.fixture(scope="module")
def lab(setup) -> Iterator[UpLab]:
    """`chaos lab up`, as a user runs it, with the images to come from the registry."""
    assert not images_ready(names=setup.names)   # nothing of this set exists yet
    t0 = time.monotonic()
    up = subprocess.run([*CHAOS, "lab", "up"], capture_output=True, text=True, timeout=300,
                        env=setup.env)
    seconds = time.monotonic() - t0
    assert up.returncode == 0, up.stdout + up.stderr
    # Its own line: a warning about another lab left over may also name `chaos lab down`.
    lab_id = re.search(r"^tear down with: chaos lab down (\w+)$", up.stdout, re.M)[1]
    TIMES["lab up incl. pull and app build (s)"] = seconds
    for what, pattern in (("pull postgres (s)", r"pulled \S+/postgres:16 in ([\d.]+)s"),
                          ("pull python (s)", r"pulled \S+/python:3.12-slim in ([\d.]+)s"),
                          ("images ready (s)", r"lab images: ready in ([\d.]+)s \(registry\)"),
                          ("app build on the pulled base (s)", r"app:latest: built in ([\d.]+)s"),
                          ("compose up to healthy (s)", r"lab \w+ up in ([\d.]+) s")):
        m = re.search(pattern, up.stdout)
        assert m, up.stdout
        TIMES[what] = float(m[1])
    try:
        yield UpLab(lab_id, up.stdout, seconds)
    finally:
        print(f"`chaos lab up` said:\n{up.stdout}")
        down = subprocess.run([*CHAOS, "lab", "down", lab_id], capture_output=True, text=True,
                              timeout=300, env=setup.env)
        assert down.returncode == 0, down.stdout + down.stderr


def test_lab_up_pulls_both_images_from_the_registry(setup, lab, docker_client):
    assert "pulling" in lab.stdout and "(registry)" in lab.stdout, lab.stdout
    assert "offline" not in lab.stdout, lab.stdout
    seen = setup.registry.requests()
    for repo, ref in (("postgres", setup.names.db_source), ("python", setup.names.app_base)):
        pulled = docker_client.images.get(ref)
        # the digest the registry stored when we pushed is the one the engine pulled
        assert f"{setup.registry.host}/{repo}@{setup.registry.pushed[ref]}" in pulled.attrs[
            "RepoDigests"]
        assert any(m == "GET" and p.startswith(f"/v2/{repo}/manifests/") and s == 200
                   for m, p, s in seen), seen
        blobs = [p for m, p, s in seen if m == "GET" and s == 200
                 and p.startswith(f"/v2/{repo}/blobs/sha256:")]
        assert len(blobs) >= 2, seen   # the config and at least the marker layer
    db = docker_client.images.get(setup.names.db)
    src = docker_client.images.get(setup.names.db_source)
    assert db.labels[MODE_LABEL] == "online" and db.labels[SOURCE_LABEL] == setup.names.db_source
    assert db.labels[RECIPE_LABEL] == db_online_recipe(src.id, setup.names.db_source)
    app = docker_client.images.get(setup.names.app)
    assert app.labels[MODE_LABEL] == "online"
    assert images_ready(names=setup.names)


def test_the_lab_runs_on_the_pulled_images_and_is_healthy(setup, lab, docker_client):
    containers = docker_client.containers.list(filters={"label": f"chaos.lab={lab.id}"})
    by_service = {c.labels["com.docker.compose.service"]: c for c in containers}
    assert set(by_service) == {"db", "app"}
    for service, tag in (("db", setup.names.db), ("app", setup.names.app)):
        c = by_service[service]
        assert c.image.id == docker_client.images.get(tag).id, service
        assert c.attrs["State"]["Health"]["Status"] == "healthy", service
        rc, out = c.exec_run(["cat", MARKER])
        assert (rc, out.decode().strip()) == (0, setup.token), service   # the pulled layer
    # The contract of the official image the compose file relies on: POSTGRES_USER,
    # _PASSWORD and _DB made a user with a password and a database, over TCP.
    port = by_service["db"].ports["5432/tcp"][0]["HostPort"]
    with psycopg.connect(host="127.0.0.1", port=port, user="chaos", password="chaos",
                         dbname="app", connect_timeout=10) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (
            "chaos", "app")
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host="127.0.0.1", port=port, user="chaos", password="wrong",
                        dbname="app", connect_timeout=10).close()
    app_url = re.search(r"app: (http://127\.0\.0\.1:\d+)", lab.stdout)
    assert app_url, lab.stdout
    with urllib.request.urlopen(app_url[1] + "/health", timeout=10) as r:
        assert r.status == 200


@pytest.fixture(scope="module")
def stopped(setup, lab) -> Setup:
    """The registry is gone (after the lab above has pulled from it)."""
    setup.registry.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{setup.registry.host}/v2/", timeout=2)
    return setup


def test_without_the_registry_a_complete_set_is_reused_without_asking(stopped, docker_client):
    before = len(stopped.registry.requests())
    t0 = time.monotonic()
    infos = build_images(offline=None, client=docker_client, names=stopped.names,
                         log=lambda m: None)
    TIMES["reuse with the registry stopped (s)"] = time.monotonic() - t0   # printed, not asserted
    assert [i.tag for i in infos] == [stopped.names.db, stopped.names.app]
    assert not any(i.built for i in infos)
    assert len(stopped.registry.requests()) == before


def test_without_the_registry_offline_none_falls_back_to_the_offline_set(stopped, docker_client):
    # A fresh set with the same (now unreachable) sources: the offline db and pybase
    # are there (our names for the images other tests use), the app is not.
    names = ImageNames.with_prefix(f"chaos-regtest-{stopped.token}-fb/",
                                   db_source=stopped.names.db_source,
                                   app_base=stopped.names.app_base)
    docker_client.images.get(PYBASE_TAG).tag(names.pybase)
    docker_client.images.get(DB_TAG).tag(names.db)
    assert not images_ready(client=docker_client, names=names)
    lines: list[str] = []
    t0 = time.monotonic()
    infos = build_images(offline=None, client=docker_client, names=names, log=lines.append)
    TIMES["fallback: build_images total (s)"] = time.monotonic() - t0
    text = "\n".join(lines)
    decided = re.search(r"registry not reachable after ([\d.]+)s", text)
    assert decided, text
    TIMES["fallback: time to give up on the registry (s)"] = float(decided[1])
    assert float(decided[1]) < 5, text
    assert stopped.registry.host in text   # the reason names what was tried
    assert [i.tag for i in infos] == list(names.tags(True))
    by_tag = {i.tag: i for i in infos}
    assert by_tag[names.pybase].id == docker_client.images.get(PYBASE_TAG).id
    assert by_tag[names.db].id == docker_client.images.get(DB_TAG).id
    app = docker_client.images.get(names.app)
    assert app.labels[MODE_LABEL] == "offline"   # built on the offline base, not the registry's
    assert images_ready(client=docker_client, names=names)


def test_without_the_registry_online_only_fails_clearly(stopped):
    env = {**stopped.env, "CHAOS_IMAGE_PREFIX": f"chaos-regtest-{stopped.token}-none/"}
    t0 = time.monotonic()
    done = subprocess.run([*CHAOS, "lab", "build", "--online"], capture_output=True, text=True,
                          timeout=120, env=env)
    TIMES["--online failure (s, incl. process start)"] = time.monotonic() - t0
    out = done.stdout + done.stderr
    assert done.returncode == 3, out
    assert "cannot pull the lab images from the registry" in out, out
    assert stopped.registry.host in out and "Traceback" not in out, out
    with pytest.raises(LabError, match="cannot pull the lab images from the registry"):
        build_images(offline=False, names=ImageNames.with_prefix(
            f"chaos-regtest-{stopped.token}-none/", db_source=stopped.names.db_source,
            app_base=stopped.names.app_base), log=lambda m: None)

