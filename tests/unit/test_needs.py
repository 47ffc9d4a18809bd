"""tests/needs.py: a missing tool skips a test, except under CI=true, where it fails; and
chaos.lab.images.buildneeds: what `make demo` asks for before building the lab's images."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from chaos import settings
from chaos.lab.images import buildneeds, rootfs
from chaos.settings import Settings
from tests import needs
from tests.cli_helpers import run_main


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception),
                                             ("", pytest.skip.Exception)])
def test_a_missing_tool_fails_in_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no-such-tool-here is not installed"):
        needs.need_tool("no-such-tool-here")


def _fake_sbin_tool(tmp_path: Path, monkeypatch, name: str) -> Path:
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    tool = sbin / name
    tool.write_text("#!/bin/sh\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))   # an ordinary PATH, no sbin on it
    return tool


def test_tools_in_sbin_are_found_off_the_path(tmp_path, monkeypatch):
    tool = _fake_sbin_tool(tmp_path, monkeypatch, "debootstrap")
    monkeypatch.setattr(needs, "SBIN", (str(tool.parent),))
    assert needs.find_tool("debootstrap") == str(tool)
    monkeypatch.setattr(rootfs, "STD_PATH", str(tool.parent))
    assert rootfs.find_debootstrap() == str(tool)


@pytest.fixture
def host(monkeypatch, tmp_path):
    """A fake engine: which sets are ready, which references the registry serves."""
    state = {"lab": False, "observe": False, "served": set(), "root": False,
             "debootstrap": False}
    monkeypatch.setattr(buildneeds, "engine", lambda c: object())
    monkeypatch.setattr(buildneeds, "images_ready", lambda c, names: state["lab"])
    monkeypatch.setattr(buildneeds, "observe_image_ready", lambda c, n: state["observe"])
    monkeypatch.setattr(buildneeds, "registry_serves",
                        lambda c, ref: None if ref in state["served"] else "refused")
    monkeypatch.setattr(buildneeds.os, "geteuid", lambda: 0 if state["root"] else 1000)
    monkeypatch.setattr(buildneeds, "find_debootstrap",
                        lambda: "/usr/sbin/debootstrap" if state["debootstrap"] else None)
    monkeypatch.setenv("CHAOS_CACHE_DIR", str(tmp_path / "cache"))   # no cached base rootfs
    for var in ("CHAOS_IMAGE_PREFIX", "CHAOS_DB_SOURCE_IMAGE", "CHAOS_APP_BASE_IMAGE"):
        monkeypatch.delenv(var, raising=False)
    # The command line reads the environment when it starts; direct calls, the settings.
    with settings.override(**vars(Settings.from_env(os.environ))):
        yield state


def test_nothing_is_needed_when_the_images_are_here_or_pulled(host):
    host["lab"] = True
    assert buildneeds.build_needs() == []
    host["lab"] = False
    host["served"] = {"postgres:16", "python:3.12-slim"}
    said: list[str] = []
    assert buildneeds.build_needs(log=said.append) == []
    assert said == ["the registry serves postgres:16, python:3.12-slim: they will be pulled"]


def test_an_offline_build_needs_root_and_debootstrap(host):
    host["served"] = {"postgres:16"}                        # one of two is not enough
    assert buildneeds.build_needs() == ["root", "debootstrap"]
    host["root"] = True
    assert buildneeds.build_needs() == ["debootstrap"]
    host["debootstrap"] = True
    assert buildneeds.build_needs() == []


def test_a_cached_base_rootfs_needs_no_debootstrap(host):
    key = buildneeds.digest(buildneeds.base_recipe())[:16]
    cached = rootfs.base_tarball_path(buildneeds.cache_dir(), key)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"")
    assert buildneeds.build_needs() == ["root"]


def test_the_observability_images_count_with_observe(host):
    host["lab"] = True
    assert buildneeds.build_needs(observe=True) == ["root", "debootstrap"]
    assert buildneeds.build_needs() == []


def test_chaos_lab_build_needs_prints_one_tool_a_line(host):
    code, out = run_main(["lab", "build", "--needs"])
    assert code == 0
    assert out.splitlines()[:2] == ["root", "debootstrap"], out   # stdout; why: stderr
