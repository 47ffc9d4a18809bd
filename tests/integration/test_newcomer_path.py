"""`make demo`'s first steps as a newcomer takes them: an unprivileged account in the
``docker`` group, an ordinary PATH, an engine that reaches a registry.

The registry is Debian's ``docker-registry`` on 127.0.0.1 (as in test_registry_path.py),
serving under the names the online set pulls (``postgres:16``, ``python:3.12-slim``)
one small image made from our chaos/pybase plus a marker layer: enough for the build to
pull, derive and build on (the full lab on pulled images is test_registry_path.py's).
The newcomer is uid/gid 65534 with the docker group as its only supplementary group
(``setpriv``: no account is created), a HOME of its own and
PATH=/usr/local/bin:/usr/bin:/bin. Then:

* ``scripts/sysdeps demo`` asks for nothing (no "please install") and says the registry
  serves the images; ``scripts/sysdeps test`` finds debootstrap in /usr/sbin, off that
  PATH (it used to ask for it);
* ``chaos lab build`` (what ``make demo`` runs next) pulls both from the registry (its
  access log shows the manifests fetched) and builds no offline image;
* with the registry stopped and the images gone, ``scripts/sysdeps demo`` stops with
  exit 1, saying an offline build needs root, and names no package to install.

Nothing is timed: it runs beside the labs (tests/conftest.py). Images are named under
a per-run ``CHAOS_IMAGE_PREFIX`` and removed by those names.
"""

from __future__ import annotations

import grp
import io
import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.recipes import MODE_LABEL, PYBASE_TAG
from tests.integration.test_registry_path import Registry, _push, _remove_tag, _tar
from tests.needs import need_root, need_tool, unavailable

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534
ORDINARY_PATH = "/usr/local/bin:/usr/bin:/bin"
MARKER = "/etc/chaos-newcomer-marker"


@dataclass
class Newcomer:
    registry: Registry
    names: ImageNames
    bin: Path                # the newcomer's venv (BIN)
    env: dict[str, str]
    argv: list[str]          # setpriv ... --: run what follows as the newcomer

    def run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.argv, *cmd], cwd=REPO, env=self.env, capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL)


def _newcomer_venv(home: Path) -> Path:
    """A venv the newcomer can run, seeing this venv's packages: ours may sit on an
    interpreter under /root (pyenv) that no other user can execute. The system's python3
    of the same version (the same extension ABI) makes it; its bin has ``chaos``."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    python = shutil.which(name, path=ORDINARY_PATH)   # not root's (pyenv) first
    if python is None:
        unavailable(f"no {name} on {ORDINARY_PATH} for the newcomer's venv")
    venv = home / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    (site,) = venv.glob("lib/python3*/site-packages")
    ours = sysconfig.get_paths()["purelib"]   # with the editable install's .pth files
    (site / "ours.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    chaos = venv / "bin" / "chaos"
    chaos.write_text(f"#!{venv}/bin/python\nimport sys\nfrom chaos.cli import main\n"
                     "sys.exit(main())\n")
    chaos.chmod(0o755)
    return venv / "bin"


def _docker_gid() -> int:
    try:
        return grp.getgrnam("docker").gr_gid
    except KeyError:
        unavailable("there is no docker group (the newcomer's way to the engine)")


@pytest.fixture(scope="module")
def newcomer(lab_images, docker_client) -> Iterator[Newcomer]:
    need_root("becoming another user")
    setpriv = need_tool("setpriv", package="util-linux")
    registry_binary = need_tool("docker-registry")
    token = secrets.token_hex(4)
    label = {"chaos.lab": f"test-{token}"}
    registry = Registry(registry_binary, Path(tempfile.mkdtemp(prefix="chaos-newcomer-reg-")))
    home = Path(tempfile.mkdtemp(prefix="chaos-newcomer-home-"))
    os.chmod(home, 0o755)
    os.chown(home, NOBODY, NOBODY)
    bin_dir = _newcomer_venv(home)
    registry.start()
    names = ImageNames.with_prefix(f"chaos-newcomer-{token}/",
                                   db_source=f"{registry.host}/postgres:16",
                                   app_base=f"{registry.host}/python:3.12-slim")
    try:
        context = _tar({"Dockerfile": f"FROM {PYBASE_TAG}\nCOPY marker {MARKER}\n",
                        "marker": token + "\n"})
        img, _ = docker_client.images.build(fileobj=io.BytesIO(context), custom_context=True,
                                            tag=names.app_base, pull=False, rm=True,
                                            labels=label)
        img.tag(names.db_source)
        for ref in (names.db_source, names.app_base):
            registry.pushed[ref] = _push(docker_client, ref)
        for ref in registry.pushed:      # gone from the engine: the build has to pull them
            _remove_tag(docker_client, ref)
        env = {"PATH": ORDINARY_PATH, "HOME": str(home), "LANG": "C.UTF-8", "BIN": str(bin_dir),
               "CHAOS_IMAGE_PREFIX": f"chaos-newcomer-{token}/",
               "CHAOS_DB_SOURCE_IMAGE": names.db_source, "CHAOS_APP_BASE_IMAGE": names.app_base,
               **{k: v for k, v in os.environ.items() if k.startswith("DOCKER_")}}
        argv = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}",
                f"--groups={_docker_gid()}", "--"]
        yield Newcomer(registry, names, bin_dir, env, argv)
    finally:
        registry.stop()
        for ref in (names.db_source, names.app_base, *names.tags(False), *names.tags(True)):
            _remove_tag(docker_client, ref)
        for leftover in docker_client.images.list(filters={"label": f"chaos.lab=test-{token}"}):
            for tag in leftover.tags:
                _remove_tag(docker_client, tag)
        shutil.rmtree(registry.root, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def test_the_newcomer_is_unprivileged_with_an_ordinary_path(newcomer):
    who = newcomer.run("sh", "-c", 'id -u; echo "$PATH"; command -v debootstrap || echo none')
    assert who.stdout.split() == [str(NOBODY), ORDINARY_PATH, "none"], who.stdout + who.stderr


def test_the_demo_asks_for_nothing_and_pulls_from_the_registry(newcomer, docker_client):
    sysdeps = newcomer.run("scripts/sysdeps", "demo")
    said = sysdeps.stdout + sysdeps.stderr
    assert sysdeps.returncode == 0 and "please install" not in said, said
    assert "the registry serves" in said, said

    build = newcomer.run(str(newcomer.bin / "chaos"), "lab", "build")
    said = build.stdout + build.stderr
    assert build.returncode == 0, said
    assert f"pulled {newcomer.names.db_source}" in said, said
    assert f"pulled {newcomer.names.app_base}" in said, said
    assert "(registry)" in said and "offline" not in said, said
    seen = newcomer.registry.requests()
    for repo in ("postgres", "python"):
        assert any(m == "GET" and p.startswith(f"/v2/{repo}/manifests/") and s == 200
                   for m, p, s in seen), seen
    for tag in newcomer.names.tags(False):
        assert docker_client.images.get(tag).labels[MODE_LABEL] == "online", tag
    again = newcomer.run("scripts/sysdeps", "demo")
    assert again.returncode == 0 and "images are here" in again.stderr, again.stderr


def test_the_test_path_finds_debootstrap_off_the_path(newcomer):
    need_tool("debootstrap")
    sysdeps = newcomer.run("scripts/sysdeps", "test")
    assert "debootstrap" not in sysdeps.stdout + sysdeps.stderr, sysdeps.stderr


def test_without_a_registry_the_demo_says_an_offline_build_needs_root(newcomer, docker_client):
    newcomer.registry.stop()
    for ref in (newcomer.names.db_source, newcomer.names.app_base,
                *newcomer.names.tags(False)):
        _remove_tag(docker_client, ref)
    sysdeps = newcomer.run("scripts/sysdeps", "demo")
    assert sysdeps.returncode == 1, sysdeps.stdout + sysdeps.stderr
    assert "needs root" in sysdeps.stderr and "does not serve" in sysdeps.stderr, sysdeps.stderr
    assert "please install" not in sysdeps.stderr, sysdeps.stderr
