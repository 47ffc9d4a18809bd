"""Which names the observability images go by.

    names = ObserveNames.from_settings()
    names.offline                       # "chaos/observe:latest" (CHAOS_IMAGE_PREFIX)
    names.prometheus.source             # "prom/prometheus:v2.42.0" (CHAOS_PROMETHEUS_IMAGE)
    names.prometheus.local              # "chaos/observe-prometheus:latest"

Offline, one image holds every part. With a registry, each upstream image is pulled
and relabelled under a local name of ours (as ``postgres:16`` becomes ``chaos/db``),
so the lab only ever runs images chaos has checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chaos import settings
from chaos.errors import UsageError
from chaos.lab.images.imagenames import REFERENCE, ImageNames
from chaos.lab.images.observerecipe import ONLINE_SOURCES
from chaos.settings import VARS as SETTING_VARS
from chaos.settings import Settings

#: part -> the setting that names its upstream image (``chaos.settings.Settings``)
SOURCE_SETTING = {
    "prometheus": "prometheus_image",
    "alertmanager": "alertmanager_image",
    "postgres-exporter": "postgres_exporter_image",
}
#: part -> the environment variable that names its upstream image
SOURCE_ENV = {part: SETTING_VARS[name] for part, name in SOURCE_SETTING.items()}


@dataclass(frozen=True)
class Upstream:
    """One registry image of the online set and the local name it is relabelled as."""

    part: str       # "prometheus" | "alertmanager" | "postgres-exporter"
    source: str     # what is pulled
    local: str      # what chaos tags it as, with the recipe label


def derived_name(offline: str, part: str) -> str:
    """``chaos/observe:latest`` + ``prometheus`` -> ``chaos/observe-prometheus:latest``."""
    repo, _, tag = offline.rpartition(":")
    if not repo or "/" in tag:      # no tag: the colon was a registry port
        repo, tag = offline, "latest"
    return f"{repo}-{part}:{tag}"


@dataclass(frozen=True)
class ObserveNames:
    offline: str
    upstreams: tuple[Upstream, ...]

    @classmethod
    def from_settings(cls, s: Settings | None = None) -> ObserveNames:
        """The offline name from :class:`ImageNames` (``CHAOS_IMAGE_PREFIX``), the
        upstream images from ``CHAOS_PROMETHEUS_IMAGE``, ``CHAOS_ALERTMANAGER_IMAGE``
        and ``CHAOS_POSTGRES_EXPORTER_IMAGE`` where set (``chaos.settings``)."""
        s = settings.current() if s is None else s
        offline = ImageNames.from_settings(s).observe
        ups = []
        for part, name in SOURCE_SETTING.items():
            source = getattr(s, name) or ONLINE_SOURCES[part]
            var = SOURCE_ENV[part]
            if not REFERENCE.fullmatch(source):
                raise UsageError(f"{var}={source!r} is not an image reference (expected e.g. "
                                 f"'localhost:5000/{ONLINE_SOURCES[part]}')")
            ups.append(Upstream(part, source, derived_name(offline, part)))
        return cls(offline, tuple(ups))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ObserveNames:
        """What ``env`` would make of them: ``from_settings(Settings.from_env(env))``."""
        return cls.from_settings(Settings.from_env(env))

    def upstream(self, part: str) -> Upstream:
        for u in self.upstreams:
            if u.part == part:
                return u
        raise KeyError(part)
