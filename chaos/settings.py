"""chaos's own settings, read from the environment once and held in one typed object.

    from chaos.settings import current
    current().cache_dir            # Path("~/.cache/chaos"), or $CHAOS_CACHE_DIR

The command line reads the environment when it starts (``load``) and its flags change
the object, never ``os.environ`` (``update(allow_remote=True)`` for ``--allow-remote``).
Used as a library, chaos reads the environment the first time ``current()`` is asked.
Tests say what they want with ``override(...)``. No process chaos starts reads these:
the variables it hands its own children (Locust's ``CHAOS_OBS_FILE``, ...) are set
explicitly where it starts them (docs/configuration.md lists them too).

Every setting, its variable, its default and what it means is in ``FIELDS`` below and in
docs/configuration.md; ``tests/unit/test_settings.py`` keeps the two the same.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TRUE = {"1", "true", "yes"}


def _setting(var: str, default: Any, shown: str, meaning: str) -> Any:
    """A field read from ``var``; ``shown`` is its default as docs/configuration.md says it."""
    return field(default=default, metadata={"var": var, "default": shown, "meaning": meaning})


@dataclass(frozen=True)
class Settings:
    allow_outside_files: bool = _setting(
        "CHAOS_ALLOW_OUTSIDE_FILES", False, "off",
        "let a scenario name files outside its project (as `--allow-outside-files`)")
    allow_remote: bool = _setting(
        "CHAOS_ALLOW_REMOTE", False, "off",
        "let chaos use a Docker engine on another machine (as `--allow-remote`)")
    apt_mirror: str | None = _setting(
        "CHAOS_APT_MIRROR", None, "the host's apt sources",
        "the Debian mirror of the offline image builds (`--mirror` comes first)")
    cache_dir: Path | None = _setting(
        "CHAOS_CACHE_DIR", None, "`$XDG_CACHE_HOME/chaos`, else `~/.cache/chaos`",
        "chaos's cache: the debootstrap tarballs, the build lock, matplotlib's state")
    image_prefix: str | None = _setting(
        "CHAOS_IMAGE_PREFIX", None, "`chaos/`",
        "the names of the images chaos builds (`<prefix>db:latest`, ...), so that a "
        "second set can live beside the first")
    db_source_image: str | None = _setting(
        "CHAOS_DB_SOURCE_IMAGE", None, "`postgres:16`",
        "the PostgreSQL image the online set starts from")
    app_base_image: str | None = _setting(
        "CHAOS_APP_BASE_IMAGE", None, "`python:3.12-slim`",
        "the Python image the online app image starts from")
    prometheus_image: str | None = _setting(
        "CHAOS_PROMETHEUS_IMAGE", None, "`prom/prometheus:v2.42.0`",
        "the upstream Prometheus image of the online observability set")
    alertmanager_image: str | None = _setting(
        "CHAOS_ALERTMANAGER_IMAGE", None, "`prom/alertmanager:v0.25.0`",
        "the upstream Alertmanager image of the online observability set")
    postgres_exporter_image: str | None = _setting(
        "CHAOS_POSTGRES_EXPORTER_IMAGE", None,
        "`prometheuscommunity/postgres-exporter:v0.11.1`",
        "the upstream postgres-exporter image of the online observability set")
    ci: bool = _setting(
        "CI", False, "off", "running in CI: progress is printed line by line, never redrawn")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """The settings ``env`` gives; an unset or blank variable keeps the default.
        The cache directory is settled here, from ``XDG_CACHE_HOME`` when it is not set."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            text = env.get(f.metadata["var"], "").strip()
            if not text:
                continue
            if f.default is False:
                values[f.name] = text.lower() in _TRUE
            else:
                values[f.name] = Path(text) if f.name == "cache_dir" else text
        if "cache_dir" not in values and env.get("XDG_CACHE_HOME"):
            values["cache_dir"] = Path(env["XDG_CACHE_HOME"]) / "chaos"
        return cls(**values)

    @property
    def cache_root(self) -> Path:
        """``cache_dir``, else ``~/.cache/chaos``."""
        return self.cache_dir or Path.home() / ".cache" / "chaos"


FIELDS: tuple[dataclasses.Field[Any], ...] = dataclasses.fields(Settings)
VARS: dict[str, str] = {f.name: f.metadata["var"] for f in FIELDS}
"""Setting -> the environment variable it is read from."""

_current: Settings | None = None


def current() -> Settings:
    """The settings of this process (read from the environment on first use)."""
    global _current
    if _current is None:
        _current = Settings.from_env(os.environ)
    return _current


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings afresh (the command line, at its start)."""
    global _current
    _current = Settings.from_env(os.environ if env is None else env)
    return _current


def update(**changes: Any) -> Settings:
    """Change some settings for the rest of this process (a command-line flag)."""
    global _current
    _current = dataclasses.replace(current(), **changes)
    return _current


@contextmanager
def override(**changes: Any) -> Iterator[Settings]:
    """These settings inside the block, the previous ones after it (tests)."""
    global _current
    before = _current
    try:
        yield update(**changes)
    finally:
        _current = before
