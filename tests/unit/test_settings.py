"""chaos.settings: the environment read once into one typed object, the flags changing
the object, and docs/configuration.md's table agreeing with it, row for row."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from chaos import settings
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.observenames import ObserveNames
from chaos.settings import FIELDS, Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ROW = re.compile(r"^\| `(\w+)` \| `(\w+)` \| (.+?) \| (.+?) \|$")


def documented() -> dict[str, tuple[str, str, str]]:
    """variable -> (setting, default, meaning), from the doc's first table."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("\n\n| variable | setting |", 1)[1].split("\n\n", 1)[0]
    rows = [ROW.match(line) for line in table.splitlines()[2:]]
    assert all(rows), table
    return {m[1]: (m[2], m[3], m[4]) for m in rows if m}


def test_the_doc_table_and_the_settings_agree():
    doc = documented()
    code = {f.metadata["var"]: (f.name, f.metadata["default"], f.metadata["meaning"])
            for f in FIELDS}
    assert list(doc) == list(code), "the same variables, in the same order"
    for var, row in code.items():
        assert doc[var] == row, var


def test_the_shown_defaults_are_what_the_lab_uses():
    names, observe = ImageNames.from_settings(Settings()), ObserveNames.from_settings(Settings())
    shown = {f.name: f.metadata["default"].strip("`") for f in FIELDS}
    assert names.db == shown["image_prefix"] + "db:latest"
    assert names.db_source == shown["db_source_image"]
    assert names.app_base == shown["app_base_image"]
    for part, name in [("prometheus", "prometheus_image"), ("alertmanager", "alertmanager_image"),
                       ("postgres-exporter", "postgres_exporter_image")]:
        assert observe.upstream(part).source == shown[name]


def test_the_environment_is_read_into_types():
    s = Settings.from_env({"CHAOS_ALLOW_REMOTE": "Yes", "CHAOS_ALLOW_OUTSIDE_FILES": "0",
                           "CHAOS_CACHE_DIR": "/c", "CHAOS_APT_MIRROR": " http://m/d ",
                           "CHAOS_IMAGE_PREFIX": "", "CI": "true", "UNRELATED": "x"})
    assert s == Settings(allow_remote=True, cache_dir=Path("/c"), apt_mirror="http://m/d",
                         ci=True)
    assert Settings.from_env({"XDG_CACHE_HOME": "/x"}).cache_root == Path("/x/chaos")
    assert Settings.from_env({"XDG_CACHE_HOME": "/x", "CHAOS_CACHE_DIR": "/c"}).cache_root \
        == Path("/c")
    assert Settings().cache_root == Path.home() / ".cache" / "chaos"


def test_the_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.current().allow_remote = True   # type: ignore[misc]


def test_the_environment_is_read_once_and_flags_change_the_object(monkeypatch):
    monkeypatch.setenv("CHAOS_APT_MIRROR", "http://first/d")
    assert settings.load().apt_mirror == "http://first/d"
    monkeypatch.setenv("CHAOS_APT_MIRROR", "http://second/d")
    assert settings.current().apt_mirror == "http://first/d"     # not read again
    with settings.override(apt_mirror="http://test/d"):
        assert settings.current().apt_mirror == "http://test/d"
    assert settings.current().apt_mirror == "http://first/d"


def test_a_cli_flag_sets_the_setting_not_the_environment(tmp_path, monkeypatch):
    from tests.cli_helpers import run_main

    monkeypatch.delenv("CHAOS_ALLOW_OUTSIDE_FILES", raising=False)
    run_main(["validate", str(tmp_path / "none.yaml"), "--allow-outside-files"])
    assert settings.current().allow_outside_files
    assert "CHAOS_ALLOW_OUTSIDE_FILES" not in __import__("os").environ


def test_no_module_but_settings_reads_a_chaos_setting_from_the_environment():
    root = Path(__file__).resolve().parents[2] / "chaos"
    variables = {f.metadata["var"] for f in FIELDS}
    readers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                     if p.name != "settings.py" and "sample" not in p.parts
                     and any(re.search(rf"environ(\.get)?\(?\[?\s*[\"']{v}[\"']", p.read_text())
                             for v in variables))
    assert readers == []
