"""The load-worker image's inputs: the host's Locust closure and the recipe hashing it."""

from __future__ import annotations

import dataclasses
import sys
from importlib.metadata import version
from pathlib import Path

from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.loadworkerset import (
    SITE,
    LoadWorkerImages,
    faketime_env,
    loadworker_changes,
    loadworker_recipe,
)
from chaos.lab.images.locustclosure import locust_closure


def test_the_closure_is_the_hosts_locust_and_what_it_needs_here():
    closure = locust_closure()
    names = {d.split("==")[0] for d in closure.distributions}
    assert closure.version == version("locust")   # importing locust would monkey-patch
    assert closure.python == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert {"locust", "gevent", "greenlet", "pyzmq", "msgpack", "psutil"} <= names
    assert "pywin32" not in names                       # a marker for another platform
    rels = {rel for rel, _ in closure.files}
    assert "locust/__init__.py" in rels
    assert any(r.startswith(f"locust-{closure.version}.dist-info/") for r in rels)
    assert not any(r.startswith(("..", "/")) for r in rels)   # nothing outside the site
    assert all(src.is_file() for _, src in closure.files)


def test_the_recipe_follows_the_files_and_the_version(tmp_path: Path):
    closure = locust_closure()
    changed_file = tmp_path / "x.py"
    changed_file.write_text("x = 1\n")
    other = dataclasses.replace(closure, files=(*closure.files, ("x.py", changed_file)))
    assert loadworker_recipe(other) != loadworker_recipe(closure)
    newer = dataclasses.replace(closure, version="99.0")
    assert loadworker_recipe(newer) != loadworker_recipe(closure)
    assert f"ENV PYTHONPATH={SITE}" in loadworker_changes(closure)


def test_copy_into_keeps_the_layout(tmp_path: Path):
    closure = locust_closure()
    few = dataclasses.replace(closure, files=closure.files[:5])
    few.copy_into(tmp_path / "site")
    for rel, src in few.files:
        assert (tmp_path / "site" / rel).read_bytes() == src.read_bytes()


def test_the_image_name_follows_the_prefix():
    assert LoadWorkerImages(ImageNames()).offline_tags() == ("chaos/loadworker:latest",)
    assert ImageNames.with_prefix("chaos-test/").loadworker == "chaos-test/loadworker:latest"


def test_faketime_shifts_the_wall_clock_only():
    env = faketime_env("+2s")
    assert env["FAKETIME"] == "+2s" and env["LD_PRELOAD"].endswith("libfaketime.so.1")
    assert env["DONT_FAKE_MONOTONIC"] == "1"
