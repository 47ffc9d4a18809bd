"""The lab's images: built once, labelled with a hash of their recipe, reused.

Three local images make a lab:

``chaos/db:latest``
    PostgreSQL. With a registry: ``postgres:16``, relabelled
    (:mod:`chaos.lab.images.online`). Without one: Debian
    bookworm + postgresql-15 + gosu and our own entrypoint
    (``offline/docker-entrypoint.sh``) that honours the same ``POSTGRES_*``
    variables as the official image.
``chaos/app:latest``
    The sample service, built from ``<repo>/compose/app`` with
    ``BASE=python:3.12-slim`` (registry) or ``BASE=chaos/pybase:bookworm`` (offline).
``chaos/pybase:bookworm`` (offline only)
    Debian bookworm with python3, psycopg, psycopg-pool, prometheus-client, iproute2 and
    procps. It is also the helper image for ``tc netem`` faults (:data:`HELPER_IMAGE`)
    and runs the alert receiver (``chaos.lab.observability.stack``).

Offline root filesystems come from one ``debootstrap --variant=minbase`` run whose
result is cached as a tarball (``~/.cache/chaos/rootfs``); each image unpacks it into a
temporary directory under ``/var/tmp``, installs its packages with ``apt-get`` in a
chroot, is cleaned, and is imported with ``docker import`` (all in
:mod:`chaos.lab.images.rootfs`). The Debian mirror is never written here: it comes from
``mirror=`` / ``CHAOS_APT_MIRROR`` or the host's apt configuration.

Every image carries the label ``chaos.image.recipe=<sha256>``; :func:`build_images`
only builds images that are missing or whose recipe hash changed. All five names
(the three above, the two registry sources) come from :class:`ImageNames`, which the
environment can change (``CHAOS_DB_SOURCE_IMAGE``, ``CHAOS_APP_BASE_IMAGE``,
``CHAOS_IMAGE_PREFIX``; docs/images.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chaos.errors import LabError

# The Debian/rootfs constants live with the machinery that uses them; they are
# imported (and so re-exported) here because the recipes hash them too.
from chaos.lab.images.aptmirror import find_apt_mirror
from chaos.lab.images.dbrootfs import db_post, db_pre
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.localimages import (
    ImageInfo,
    current_infos,
    drop_replaced,
    engine,
    ensure_app,
    get,
    info,
    label,
    up_to_date,
)
from chaos.lab.images.online import build_online, online_set_ready, pull_or_fall_back
from chaos.lab.images.recipes import (  # noqa: F401  (app_context_dir, app_recipe: re-exports)
    DB_PACKAGES,
    MODE_LABEL,
    PYBASE_EXTRA_SUITES,
    PYBASE_PACKAGES,
    RECIPE_LABEL,
    app_context_dir,
    app_recipe,
    base_recipe,
    cache_dir,
    db_changes,
    db_offline_recipe,
    digest,
    pybase_changes,
    pybase_recipe,
)
from chaos.lab.images.rootfs import (  # noqa: F401  (ENTRYPOINT_SRC, OFFLINE_DIR: re-exports)
    ENTRYPOINT_SRC,
    OFFLINE_DIR,
    SUITE,
    Log,
    _base_tarball,
    _offline_image,
)

__all__ = ["ImageInfo", "ImageNames", "build_images", "images_ready"]


def _offline_set_ready(client: Any, names: ImageNames, app: bool = True) -> bool:
    pybase = up_to_date(client, names.pybase, pybase_recipe())
    if pybase is None or up_to_date(client, names.db, db_offline_recipe()) is None:
        return False
    return not app or up_to_date(client, names.app, app_recipe(pybase.id)) is not None


def images_ready(client: Any = None, app: bool = True, names: ImageNames | None = None) -> bool:
    """True if chaos/db (and, with ``app``, the sample chaos/app) exist and match their
    recipe (offline set: chaos/pybase too). A few image inspections; no network, no build."""
    c = engine(client)
    names = names or ImageNames.from_env()
    return _offline_set_ready(c, names, app) or online_set_ready(c, names, app)


# --------------------------------------------------------------------------- offline


@contextlib.contextmanager
def _build_lock(log: Log) -> Iterator[None]:
    """One builder at a time per machine user (two `chaos lab build` would race)."""
    d = cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            t0 = time.monotonic()
            log(f"lab images: waiting for another image build to finish ({d / 'build.lock'})")
            fcntl.flock(fh, fcntl.LOCK_EX)
            log(f"lab images: waited {time.monotonic() - t0:.1f}s")
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _build_offline(client: Any, names: ImageNames, mirror: str | None, force: bool, log: Log,
                   app: bool = True) -> list[ImageInfo]:
    results: dict[str, ImageInfo] = {}
    lock = threading.Lock()

    def tlog(msg: str) -> None:
        with lock:
            log(msg)

    want = {names.pybase: pybase_recipe(), names.db: db_offline_recipe()}
    todo = []
    for tag, recipe in want.items():
        img = None if force else up_to_date(client, tag, recipe)
        if img is not None:
            results[tag] = info(img, tag, False, 0.0)
        else:
            todo.append(tag)

    if todo:
        base_tar = _base_tarball(mirror, tlog, cache=cache_dir(),
                                 key=digest(base_recipe())[:16])
        url = find_apt_mirror(mirror, suite=SUITE)

        def one(tag: str) -> ImageInfo:
            t0 = time.monotonic()
            tlog(f"  {tag}: installing packages and importing ...")
            labels = {RECIPE_LABEL: want[tag], MODE_LABEL: "offline"}
            if tag == names.pybase:
                _offline_image(client, tag=tag, base_tar=base_tar, mirror_url=url,
                               packages=PYBASE_PACKAGES, changes=pybase_changes(),
                               extra_suites=PYBASE_EXTRA_SUITES, labels=labels, log=tlog)
            else:
                _offline_image(client, tag=tag, base_tar=base_tar, mirror_url=url,
                               packages=DB_PACKAGES,
                               changes=db_changes(), labels=labels, log=tlog,
                               pre=db_pre, post=db_post)
            img = get(client, tag)
            if img is None or label(img, RECIPE_LABEL) != want[tag]:
                raise LabError(f"docker import of {tag} did not produce the image")
            dt = time.monotonic() - t0
            tlog(f"  {tag}: built in {dt:.1f}s")
            return info(img, tag, True, dt)

        with ThreadPoolExecutor(max_workers=len(todo)) as pool:
            for one_info in pool.map(one, todo):
                results[one_info.tag] = one_info

    if app:
        pybase_id = results[names.pybase].id
        results[names.app] = ensure_app(client, names.app, names.pybase, pybase_id, "offline",
                                        force, log)
    return [results[t] for t in names.tags(True, app)]


# --------------------------------------------------------------------------- build


def _try_online(c: Any, names: ImageNames, offline: bool | None, force: bool, log: Log,
                app: bool, t0: float) -> list[ImageInfo] | None:
    """The online set, or None when the pull failed and ``offline is None`` (fall back)."""
    log(f"lab images: pulling {names.db_source}"
        + (f" and {names.app_base}" if app else "") + " from the registry ...")
    old = [i.id for t in (names.app, names.db) if (i := get(c, t)) is not None]
    infos = pull_or_fall_back(c, "lab images", "cannot pull the lab images from the registry",
                              old, lambda: build_online(c, names, force, log, app), offline,
                              log, t0)
    if infos is None:
        return None
    log(f"lab images: ready in {time.monotonic() - t0:.1f}s (registry)")
    return infos


def build_images(offline: bool | None = None, mirror: str | None = None, force: bool = False,
                 log: Log = print, client: Any = None, app: bool = True,
                 names: ImageNames | None = None) -> list[ImageInfo]:
    """Make chaos/db and chaos/app (and, offline, chaos/pybase) exist and match their
    recipes; build only what is missing or changed (everything with ``force``).
    ``app=False`` leaves out the sample app, for a lab whose compose file does not use it.
    ``names`` (default: :meth:`ImageNames.from_env`) says what the images are called.

    ``offline=True``: debootstrap + docker import, no registry. ``offline=False``: pull
    from the registry or fail. ``offline=None``: reuse whatever set is complete;
    otherwise try the registry and fall back to the offline build if the pull fails.
    """
    c = engine(client)
    names = names or ImageNames.from_env()
    t0 = time.monotonic()
    with _build_lock(log):
        if offline is None and not force:
            if _offline_set_ready(c, names, app):
                return current_infos(c, names.tags(True, app))
            if online_set_ready(c, names, app):
                return current_infos(c, names.tags(False, app))
        if offline is not True:
            pulled = _try_online(c, names, offline, force, log, app, t0)
            if pulled is not None:
                return pulled
        if not force and _offline_set_ready(c, names, app):
            return current_infos(c, names.tags(True, app))
        log("lab images: offline build (debootstrap + docker import) ...")
        t1 = time.monotonic()
        old = [i.id for t in (names.app, names.db, names.pybase)
               if (i := get(c, t)) is not None]
        infos = _build_offline(c, names, mirror, force, log, app)
        drop_replaced(c, old, {i.id for i in infos}, log)
        if any(i.built for i in infos):
            log(f"lab images: ready in {time.monotonic() - t1:.1f}s (offline)")
        return infos
