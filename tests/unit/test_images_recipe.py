"""Offline image plumbing that needs no Docker engine: mirror discovery, recipes, failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chaos import settings
from chaos.errors import LabError
from chaos.lab.images import aptmirror, recipes, rootfs
from chaos.settings import Settings
from tests.needs import need_root, need_tool


@pytest.fixture
def no_mirror_setting():
    with settings.override(apt_mirror=None):
        yield


def test_mirror_from_deb822(tmp_path: Path, no_mirror_setting):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.invalid/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb deb-src\n# a comment\nURIs: http://mirror.invalid/debian/\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n")
    assert aptmirror.find_apt_mirror(etc=tmp_path) == "http://mirror.invalid/debian"


def test_mirror_from_one_line_format(tmp_path: Path, no_mirror_setting):
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.invalid/debian bookworm main\n"
        "deb [signed-by=/usr/share/keyrings/x.gpg] http://one.invalid/debian trixie main\n")
    assert aptmirror.find_apt_mirror(etc=tmp_path) == "http://one.invalid/debian"


def test_mirror_explicit_and_env_win(tmp_path: Path):
    with settings.override(**vars(Settings.from_env(
            {"CHAOS_APT_MIRROR": "http://env.invalid/debian/"}))):
        assert aptmirror.find_apt_mirror(etc=tmp_path) == "http://env.invalid/debian"
        assert aptmirror.find_apt_mirror("http://arg.invalid/d", etc=tmp_path) == \
            "http://arg.invalid/d"


def test_no_mirror_is_a_lab_error(tmp_path: Path, no_mirror_setting):
    with pytest.raises(LabError, match="--mirror"):
        aptmirror.find_apt_mirror(etc=tmp_path)


def test_app_recipe_follows_context_and_base(tmp_path: Path):
    ctx = tmp_path / "app"
    shutil.copytree(recipes.app_context_dir(), ctx)
    r1 = recipes.app_recipe("sha256:aaa", ctx)
    assert recipes.app_recipe("sha256:aaa", ctx) == r1
    assert recipes.app_recipe("sha256:bbb", ctx) != r1
    (ctx / "app.py").write_text((ctx / "app.py").read_text() + "\n# changed\n")
    assert recipes.app_recipe("sha256:aaa", ctx) != r1


def test_the_package_holds_the_sample_app_context():
    assert (recipes.app_context_dir() / "Dockerfile").is_file()
    assert recipes.app_context_dir().is_relative_to(Path(recipes.__file__).resolve().parents[2])
    assert rootfs.ENTRYPOINT_SRC.is_file()


def test_debootstrap_failure_is_a_lab_error_with_log_tail(tmp_path: Path, monkeypatch):
    need_root("debootstrap")
    need_tool("debootstrap")
    before = set(Path("/var/tmp").glob("chaos-rootfs-*"))
    with settings.override(cache_dir=tmp_path / "cache"), pytest.raises(LabError) as err:
        rootfs.base_tarball("file:///nonexistent-chaos-mirror", log=lambda m: None,
                             cache=recipes.cache_dir(), key="test")
    assert "debootstrap failed" in str(err.value)
    assert "last lines" in str(err.value)
    assert set(Path("/var/tmp").glob("chaos-rootfs-*")) == before  # temp dir removed
