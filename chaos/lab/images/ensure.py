"""One pipeline for every image set: reuse it, else pull it, else build it offline.

    infos = ensure(LabImages(names, app=True), offline=None, log=print)

An ``ImageSet`` describes its images twice: as the registry set (pulled, then
relabelled or derived locally) and as the offline set (Debian packages on the
shared debootstrap base, ``OfflineImage``). ``ensure`` decides, the same way for
every set (docs/images.md):

- ``offline=None``: a set that is complete and matches its recipe is reused
  (offline first); else the registry is tried, and a failed pull falls back to
  the offline build;
- ``offline=False``: pull, or fail with the engine's reason;
- ``offline=True``: never ask a registry;
- ``force``: build even what is up to date.

One build at a time per machine user (``build_lock``); images a build replaced
are removed unless a container still uses them.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from chaos.errors import LabError
from chaos.lab.images.aptmirror import find_apt_mirror
from chaos.lab.images.localimages import (
    ImageInfo,
    current_infos,
    drop_replaced,
    engine,
    get,
    info,
    label,
    up_to_date,
)
from chaos.lab.images.online import pull_or_fall_back
from chaos.lab.images.recipes import MODE_LABEL, RECIPE_LABEL, base_recipe, cache_dir, digest
from chaos.lab.images.rootfs import SUITE, Log, base_tarball, offline_image


@dataclass(frozen=True)
class OfflineImage:
    """One image of an offline set: packages on the debootstrap base, and its recipe."""

    tag: str
    recipe: str
    packages: tuple[str, ...]
    changes: list[str]
    extra_suites: tuple[str, ...] = ()
    pre: Callable[[Path], None] | None = None    # on the rootfs, before apt-get
    post: Callable[[Path], None] | None = None   # after it


class ImageSet(ABC):
    """What ``ensure`` needs to know of a set of images."""

    what: ClassVar[str]      # how the log names the set: "lab images"
    failure: ClassVar[str]   # the start of the error when a pull must not fail

    @abstractmethod
    def offline_images(self) -> list[OfflineImage]: ...

    def offline_tags(self) -> tuple[str, ...]:
        """Every image the offline set is made of (more than ``offline_images``: see
        ``finish_offline``), in the order ``ensure`` returns them."""
        return tuple(i.tag for i in self.offline_images())

    def offline_ready(self, client: Any) -> bool:
        return all(up_to_date(client, i.tag, i.recipe) is not None
                   for i in self.offline_images())

    def finish_offline(self, client: Any, built: dict[str, ImageInfo], force: bool,
                       log: Log) -> dict[str, ImageInfo]:
        """Images built on top of the offline ones (the lab's sample app); none here."""
        return {}

    @abstractmethod
    def online_tags(self) -> tuple[str, ...]: ...

    @abstractmethod
    def online_ready(self, client: Any) -> bool: ...

    @abstractmethod
    def pull_sources(self) -> list[str]: ...

    @abstractmethod
    def build_online(self, client: Any, force: bool, log: Log) -> list[ImageInfo]: ...

    def ready(self, client: Any) -> bool:
        """A complete set, offline or online, matches its recipe (inspections only)."""
        return self.offline_ready(client) or self.online_ready(client)


def ensure(images: ImageSet, offline: bool | None = None, mirror: str | None = None,
           force: bool = False, log: Log = print, client: Any = None) -> list[ImageInfo]:
    """Make the set exist and match its recipes; build only what is missing or changed."""
    c = engine(client)
    t0 = time.monotonic()
    with build_lock(log):
        if offline is None and not force:
            if images.offline_ready(c):
                return current_infos(c, images.offline_tags())
            if images.online_ready(c):
                return current_infos(c, images.online_tags())
        if offline is not True:
            pulled = _pull(c, images, offline, force, log, t0)
            if pulled is not None:
                return pulled
        if not force and images.offline_ready(c):
            return current_infos(c, images.offline_tags())
        log(f"{images.what}: offline build (debootstrap + docker import) ...")
        t1 = time.monotonic()
        old = [i.id for t in images.offline_tags() if (i := get(c, t)) is not None]
        infos = build_offline(c, images, mirror, force, log)
        drop_replaced(c, old, {i.id for i in infos}, log)
        if any(i.built for i in infos):
            log(f"{images.what}: ready in {time.monotonic() - t1:.1f}s (offline)")
        return infos


def _pull(c: Any, images: ImageSet, offline: bool | None, force: bool, log: Log,
          t0: float) -> list[ImageInfo] | None:
    """The registry set, or None when the pull failed and ``offline is None`` (fall back)."""
    log(f"{images.what}: pulling {', '.join(images.pull_sources())} from the registry ...")
    old = [i.id for t in images.online_tags() if (i := get(c, t)) is not None]
    infos = pull_or_fall_back(c, images.what, images.failure, old,
                              lambda: images.build_online(c, force, log), offline, log, t0)
    if infos is not None:
        log(f"{images.what}: ready in {time.monotonic() - t0:.1f}s (registry)")
    return infos


def build_offline(c: Any, images: ImageSet, mirror: str | None, force: bool,
                  log: Log) -> list[ImageInfo]:
    """Build the offline images that are missing or outdated, in parallel, from one base."""
    results: dict[str, ImageInfo] = {}
    todo = []
    for image in images.offline_images():
        found = None if force else up_to_date(c, image.tag, image.recipe)
        if found is not None:
            results[image.tag] = info(found, image.tag, False, 0.0)
        else:
            todo.append(image)
    if todo:
        lock = threading.Lock()

        def tlog(msg: str) -> None:
            with lock:
                log(msg)

        base_tar = base_tarball(mirror, tlog, cache=cache_dir(), key=digest(base_recipe())[:16])
        url = find_apt_mirror(mirror, suite=SUITE)
        with ThreadPoolExecutor(max_workers=len(todo)) as pool:
            for one in pool.map(lambda i: _build_one(c, i, base_tar, url, tlog), todo):
                results[one.tag] = one
    results |= images.finish_offline(c, results, force, log)
    return [results[t] for t in images.offline_tags()]


def _build_one(c: Any, image: OfflineImage, base_tar: Path, url: str, log: Log) -> ImageInfo:
    t0 = time.monotonic()
    log(f"  {image.tag}: installing packages and importing ...")
    offline_image(c, tag=image.tag, base_tar=base_tar, mirror_url=url, packages=image.packages,
                  changes=image.changes, extra_suites=image.extra_suites,
                  labels={RECIPE_LABEL: image.recipe, MODE_LABEL: "offline"}, log=log,
                  pre=image.pre, post=image.post)
    img = get(c, image.tag)
    if img is None or label(img, RECIPE_LABEL) != image.recipe:
        raise LabError(f"docker import of {image.tag} did not produce the image")
    dt = time.monotonic() - t0
    log(f"  {image.tag}: built in {dt:.1f}s")
    return info(img, image.tag, True, dt)


@contextlib.contextmanager
def build_lock(log: Log) -> Iterator[None]:
    """One builder at a time per machine user (two `chaos lab build` would race)."""
    d = cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            t0 = time.monotonic()
            log(f"{d / 'build.lock'}: waiting for another image build to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
            log(f"waited {time.monotonic() - t0:.1f}s for the other build")
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
