"""The in-lab observability stack's images: built (or pulled) once, reused.

    ensure_observe_image(log=print)            # build only if missing or outdated
    parts = observe_components()
    parts["prometheus"].image                  # "chaos/observe:latest"
    parts["prometheus"].command("--version")   # ["/usr/bin/prometheus", "--version"]

Offline (no registry), one image, ``chaos/observe:latest``, holds Prometheus, promtool,
Alertmanager, amtool and postgres_exporter (:mod:`chaos.lab.images.observerecipe`), built like
chaos/db: the shared base tarball, the same build lock, a recipe label. With a registry,
each part is its upstream image relabelled locally (:mod:`chaos.lab.images.observeonline`).

Run a component with ``entrypoint=list(c.argv)`` and its flags as the command: the
upstream images have the binary as their entrypoint, ours has none, and this works for
both. Both sets run as ``nobody`` with ``/prometheus`` and ``/alertmanager`` writable;
pass ``--storage.tsdb.path=/prometheus`` / ``--storage.path=/alertmanager`` and a config
file explicitly (the default config paths differ between Debian and upstream).
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from chaos.errors import LabError
from chaos.lab.images.aptmirror import find_apt_mirror
from chaos.lab.images.labset import _build_lock
from chaos.lab.images.localimages import (
    ImageInfo,
    current_infos,
    drop_replaced,
    engine,
    get,
    info,
    up_to_date,
)
from chaos.lab.images.localimages import label as image_label
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
from chaos.lab.images.online import pull_or_fall_back
from chaos.lab.images.recipes import MODE_LABEL, RECIPE_LABEL, base_recipe, cache_dir, digest
from chaos.lab.images.rootfs import SUITE, Log, _base_tarball, _offline_image

__all__ = ["Component", "ensure_observe_image", "observe_components", "observe_image_ready"]


class Component(NamedTuple):
    """One binary of the stack: the image it is in and the argv that runs it."""

    image: str
    argv: tuple[str, ...]

    def command(self, *args: str) -> list[str]:
        return [*self.argv, *args]


def _names(names: ObserveNames | None) -> ObserveNames:
    return names or ObserveNames.from_env()


def observe_image_ready(client: Any = None, names: ObserveNames | None = None) -> bool:
    """True if the offline image, or the complete online set, matches its recipe.
    A few image inspections; no network, no build."""
    c, n = engine(client), _names(names)
    return up_to_date(c, n.offline, observe_recipe()) is not None or online_ready(c, n)


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
    three (prometheus, alertmanager, postgres-exporter) online.

    ``offline`` as in :func:`chaos.lab.images.labset.build_images`: True never asks a
    registry, False pulls or fails, None reuses a complete set, else tries the
    registry and falls back to the offline build."""
    c, n = engine(client), _names(names)
    t0 = time.monotonic()
    with _build_lock(log):
        if offline is None and not force:
            if up_to_date(c, n.offline, observe_recipe()) is not None:
                return current_infos(c, (n.offline,))
            if online_ready(c, n):
                return current_infos(c, tuple(u.local for u in n.upstreams))
        if offline is not True:
            pulled = _try_online(c, n, offline, force, log, t0)
            if pulled is not None:
                return pulled
        img = None if force else up_to_date(c, n.offline, observe_recipe())
        if img is not None:
            return [info(img, n.offline, False, 0.0)]
        return [_build_offline(c, n, mirror, log)]


def _try_online(c: Any, n: ObserveNames, offline: bool | None, force: bool, log: Log,
                t0: float) -> list[ImageInfo] | None:
    log("observe images: pulling " + ", ".join(u.source for u in n.upstreams) + " ...")
    old = [i.id for u in n.upstreams if (i := get(c, u.local)) is not None]
    return pull_or_fall_back(c, "observe images", "cannot pull the observability images", old,
                             lambda: build_online(c, n, force, log), offline, log, t0)


def _build_offline(c: Any, n: ObserveNames, mirror: str | None, log: Log) -> ImageInfo:
    t0 = time.monotonic()
    recipe = observe_recipe()
    old = [i.id for i in (get(c, n.offline),) if i is not None]
    log(f"observe images: offline build of {n.offline} (debootstrap + docker import) ...")
    base_tar = _base_tarball(mirror, log, cache=cache_dir(), key=digest(base_recipe())[:16])
    _offline_image(c, tag=n.offline, base_tar=base_tar,
                   mirror_url=find_apt_mirror(mirror, suite=SUITE), packages=OBSERVE_PACKAGES,
                   changes=observe_changes(), labels={RECIPE_LABEL: recipe, MODE_LABEL: "offline"},
                   log=log, pre=observe_pre, post=observe_post)
    img = get(c, n.offline)
    if img is None or image_label(img, RECIPE_LABEL) != recipe:
        raise LabError(f"docker import of {n.offline} did not produce the image")
    drop_replaced(c, old, {img.id}, log)
    dt = time.monotonic() - t0
    log(f"  {n.offline}: built in {dt:.1f}s")
    return info(img, n.offline, True, dt)
