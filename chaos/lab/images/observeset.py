"""The in-lab observability stack's images: built (or pulled) once, reused.

    ensure_observe_image(log=print)            # build only if missing or outdated
    parts = observe_components()
    parts["prometheus"].image                  # "chaos/observe:latest"
    parts["prometheus"].command("--version")   # ["/usr/bin/prometheus", "--version"]

Offline (no registry), one image, ``chaos/observe:latest``, holds Prometheus, promtool,
Alertmanager, amtool and postgres_exporter (:mod:`chaos.lab.images.observerecipe`), built like
chaos/db, by the same pipeline (:func:`chaos.lab.images.ensure.ensure`): the shared base
tarball, the same build lock, a recipe label. With a registry,
each part is its upstream image relabelled locally (:mod:`chaos.lab.images.observeonline`).

Run a component with ``entrypoint=list(c.argv)`` and its flags as the command: the
upstream images have the binary as their entrypoint, ours has none, and this works for
both. Both sets run as ``nobody`` with ``/prometheus`` and ``/alertmanager`` writable;
pass ``--storage.tsdb.path=/prometheus`` / ``--storage.path=/alertmanager`` and a config
file explicitly (the default config paths differ between Debian and upstream).
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from chaos.errors import LabError
from chaos.lab.images.ensure import ImageSet, OfflineImage, ensure
from chaos.lab.images.localimages import ImageInfo, engine, up_to_date
from chaos.lab.images.observenames import ObserveNames
from chaos.lab.images.observeonline import build_online, online_ready
from chaos.lab.images.observerecipe import (
    OBSERVE_PACKAGES,
    OFFLINE_BINARIES,
    ONLINE_BINARIES,
    observe_changes,
    observe_recipe,
)
from chaos.lab.images.observerootfs import observe_post, observe_pre
from chaos.lab.images.rootfs import Log

__all__ = ["Component", "ObserveImages", "ensure_observe_image", "observe_components",
           "observe_image_ready"]


class Component(NamedTuple):
    """One binary of the stack: the image it is in and the argv that runs it."""

    image: str
    argv: tuple[str, ...]

    def command(self, *args: str) -> list[str]:
        return [*self.argv, *args]


class ObserveImages(ImageSet):
    """Offline one image with every binary; online one relabelled image per upstream."""

    what: ClassVar[str] = "observe images"
    failure: ClassVar[str] = "cannot pull the observability images"

    def __init__(self, names: ObserveNames) -> None:
        self.names = names

    def offline_images(self) -> list[OfflineImage]:
        return [OfflineImage(self.names.offline, observe_recipe(), OBSERVE_PACKAGES,
                             observe_changes(), pre=observe_pre, post=observe_post)]

    def online_tags(self) -> tuple[str, ...]:
        return tuple(u.local for u in self.names.upstreams)

    def online_ready(self, client: Any) -> bool:
        return online_ready(client, self.names)

    def pull_sources(self) -> list[str]:
        return [u.source for u in self.names.upstreams]

    def build_online(self, client: Any, force: bool, log: Log) -> list[ImageInfo]:
        return build_online(client, self.names, force, log)


def _names(names: ObserveNames | None) -> ObserveNames:
    return names or ObserveNames.from_settings()


def observe_image_ready(client: Any = None, names: ObserveNames | None = None) -> bool:
    """True if the offline image, or the complete online set, matches its recipe.
    A few image inspections; no network, no build."""
    return ObserveImages(_names(names)).ready(engine(client))


def observe_components(client: Any = None,
                       names: ObserveNames | None = None) -> dict[str, Component]:
    """``prometheus``, ``promtool``, ``alertmanager``, ``amtool`` and ``postgres_exporter``
    in whichever set is ready (offline first); LabError if neither is."""
    c, n = engine(client), _names(names)
    if up_to_date(c, n.offline, observe_recipe()) is not None:
        return {k: Component(n.offline, (b,)) for k, b in OFFLINE_BINARIES.items()}
    if online_ready(c, n):
        return {k: Component(n.upstream(part).local, (b,))
                for k, (part, b) in ONLINE_BINARIES.items()}
    raise LabError(f"the observability image {n.offline} is missing or outdated: "
                   "run `chaos lab build --observe`")


def ensure_observe_image(log: Log = print, mirror: str | None = None, force: bool = False,
                         client: Any = None, offline: bool | None = None,
                         names: ObserveNames | None = None) -> list[ImageInfo]:
    """Make the observability images exist and match their recipe; build only what is
    missing or outdated (everything with ``force``). Returns one ImageInfo offline,
    three (prometheus, alertmanager, postgres-exporter) online; ``offline`` as in
    :func:`chaos.lab.images.ensure.ensure`."""
    return ensure(ObserveImages(_names(names)), offline=offline, mirror=mirror, force=force,
                  log=log, client=client)
