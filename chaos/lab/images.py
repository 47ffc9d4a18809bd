"""The lab's images: built once, labelled with a hash of their recipe, reused.

Three local images make a lab:

``chaos/db:latest``
    PostgreSQL. With a registry: ``postgres:16``, relabelled. Without one: Debian
    bookworm + postgresql-15 + gosu and our own entrypoint
    (``offline/docker-entrypoint.sh``) that honours the same ``POSTGRES_*``
    variables as the official image.
``chaos/app:latest``
    The sample service, built from ``<repo>/compose/app`` with
    ``BASE=python:3.12-slim`` (registry) or ``BASE=chaos/pybase:bookworm`` (offline).
``chaos/pybase:bookworm`` (offline only)
    Debian bookworm with python3, psycopg, psycopg-pool, iproute2 and procps. It is
    also the helper image for ``tc netem`` faults (:data:`HELPER_IMAGE`).

Offline root filesystems come from one ``debootstrap --variant=minbase`` run whose
result is cached as a tarball (``~/.cache/chaos/rootfs``); each image unpacks it into a
temporary directory under ``/var/tmp``, installs its packages with ``apt-get`` in a
chroot, is cleaned, and is imported with ``docker import`` (all in
:mod:`chaos.lab.rootfs`). The Debian mirror is never written here: it comes from
``mirror=`` / ``CHAOS_APT_MIRROR`` or the host's apt configuration.

Every image carries the label ``chaos.image.recipe=<sha256>``; :func:`build_images`
only builds images that are missing or whose recipe hash changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from chaos.errors import LabError

# The Debian/rootfs constants live with the machinery that uses them; they are
# imported (and so re-exported) here because the recipes hash them too.
from chaos.lab.aptmirror import find_apt_mirror
from chaos.lab.recipes import (
    APP_TAG,
    DB_PACKAGES,
    DB_TAG,
    MODE_LABEL,
    ONLINE_APP_BASE,
    ONLINE_DB_SOURCE,
    PYBASE_EXTRA_SUITES,
    PYBASE_PACKAGES,
    PYBASE_TAG,
    RECIPE_LABEL,
    app_context_dir,
    app_recipe,
    base_recipe,
    cache_dir,
    db_changes,
    db_offline_recipe,
    db_online_recipe,
    digest,
    pybase_changes,
    pybase_recipe,
)
from chaos.lab.rootfs import (  # noqa: F401  (OFFLINE_DIR: re-export)
    BASE_PACKAGES,
    ENTRYPOINT_SRC,
    OFFLINE_DIR,
    STD_PATH,
    SUITE,
    VARIANT,
    Log,
    _base_tarball,
    _db_post,
    _db_pre,
    _offline_image,
)

# --------------------------------------------------------------------------- names

class ImageInfo(NamedTuple):
    tag: str
    id: str
    size_bytes: int
    built: bool  # True if this call built (or pulled) it, False if reused
    seconds: float  # time spent on this image in this call


# --------------------------------------------------------------------------- docker


def _client(client: Any = None) -> Any:
    if client is not None:
        return client
    from chaos.lab.engine import client as engine_client

    return engine_client()


def _get(client: Any, tag: str) -> Any | None:
    import docker

    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as exc:
        raise LabError(f"docker could not inspect image {tag}: {exc}") from None


def _label(image: Any, key: str) -> str | None:
    return (image.labels or {}).get(key) if image is not None else None


def _info(image: Any, tag: str, built: bool, seconds: float) -> ImageInfo:
    return ImageInfo(tag, image.id, int(image.attrs.get("Size") or 0), built, round(seconds, 2))


def _up_to_date(client: Any, tag: str, recipe: str | None) -> Any | None:
    img = _get(client, tag)
    if img is not None and recipe is not None and _label(img, RECIPE_LABEL) == recipe:
        return img
    return None


def _offline_set_ready(client: Any, app: bool = True) -> bool:
    pybase = _up_to_date(client, PYBASE_TAG, pybase_recipe())
    if pybase is None or _up_to_date(client, DB_TAG, db_offline_recipe()) is None:
        return False
    return not app or _up_to_date(client, APP_TAG, app_recipe(pybase.id)) is not None


def _online_set_ready(client: Any, app: bool = True) -> bool:
    src = _get(client, ONLINE_DB_SOURCE)
    base = _get(client, ONLINE_APP_BASE)
    if src is None or base is None:
        return False
    return (_up_to_date(client, DB_TAG, db_online_recipe(src.id)) is not None
            and (not app or _up_to_date(client, APP_TAG, app_recipe(base.id)) is not None))


def images_ready(client: Any = None, app: bool = True) -> bool:
    """True if chaos/db (and, with ``app``, the sample chaos/app) exist and match their
    recipe (offline set: chaos/pybase too). A few image inspections; no network, no build."""
    c = _client(client)
    return _offline_set_ready(c, app) or _online_set_ready(c, app)


def _tags(offline: bool, app: bool) -> tuple[str, ...]:
    tags = (PYBASE_TAG, DB_TAG) if offline else (DB_TAG,)
    return (*tags, APP_TAG) if app else tags


# --------------------------------------------------------------------------- app


def _build_app(client: Any, base: str, base_id: str, recipe: str, mode: str) -> Any:
    import docker

    try:
        img, _logs = client.images.build(
            path=str(app_context_dir()), buildargs={"BASE": base}, tag=APP_TAG, pull=False,
            rm=True, forcerm=True, labels={RECIPE_LABEL: recipe, MODE_LABEL: mode})
    except docker.errors.BuildError as exc:
        tail = "\n".join("  " + str(c.get("stream") or c.get("error") or "").rstrip()
                         for c in list(exc.build_log)[-15:] if isinstance(c, dict))
        raise LabError(f"building {APP_TAG} failed: {exc.msg}\n{tail}") from None
    except docker.errors.APIError as exc:
        raise LabError(f"building {APP_TAG} failed: {exc}") from None
    return img


# --------------------------------------------------------------------------- build


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    """One builder at a time per machine user (two `chaos lab build` would race)."""
    d = cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _build_offline(client: Any, mirror: str | None, force: bool, log: Log,
                   app: bool = True) -> list[ImageInfo]:
    results: dict[str, ImageInfo] = {}
    lock = threading.Lock()

    def tlog(msg: str) -> None:
        with lock:
            log(msg)

    want = {PYBASE_TAG: pybase_recipe(), DB_TAG: db_offline_recipe()}
    todo = []
    for tag, recipe in want.items():
        img = None if force else _up_to_date(client, tag, recipe)
        if img is not None:
            results[tag] = _info(img, tag, False, 0.0)
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
            if tag == PYBASE_TAG:
                _offline_image(client, tag=tag, base_tar=base_tar, mirror_url=url,
                               packages=PYBASE_PACKAGES, changes=pybase_changes(),
                               extra_suites=PYBASE_EXTRA_SUITES, labels=labels, log=tlog)
            else:
                _offline_image(client, tag=tag, base_tar=base_tar, mirror_url=url,
                               packages=DB_PACKAGES,
                               changes=db_changes(), labels=labels, log=tlog,
                               pre=_db_pre, post=_db_post)
            img = _get(client, tag)
            if img is None or _label(img, RECIPE_LABEL) != want[tag]:
                raise LabError(f"docker import of {tag} did not produce the image")
            dt = time.monotonic() - t0
            tlog(f"  {tag}: built in {dt:.1f}s")
            return _info(img, tag, True, dt)

        with ThreadPoolExecutor(max_workers=len(todo)) as pool:
            for info in pool.map(one, todo):
                results[info.tag] = info

    if app:
        pybase_id = results[PYBASE_TAG].id
        results[APP_TAG] = _ensure_app(client, PYBASE_TAG, pybase_id, "offline", force, log)
    return [results[t] for t in _tags(True, app)]


def _ensure_app(client: Any, base: str, base_id: str, mode: str, force: bool,
                log: Log) -> ImageInfo:
    recipe = app_recipe(base_id)
    img = None if force else _up_to_date(client, APP_TAG, recipe)
    if img is not None:
        return _info(img, APP_TAG, False, 0.0)
    log(f"  {APP_TAG}: docker build FROM {base} ...")
    t0 = time.monotonic()
    img = _build_app(client, base, base_id, recipe, mode)
    dt = time.monotonic() - t0
    log(f"  {APP_TAG}: built in {dt:.1f}s")
    return _info(img, APP_TAG, True, dt)


def _pull(client: Any, ref: str) -> Any:
    repo, _, tag = ref.rpartition(":")
    return client.images.pull(repo, tag=tag)


def _build_online(client: Any, force: bool, log: Log, app: bool = True) -> list[ImageInfo]:
    """Pull postgres:16 and python:3.12-slim, derive chaos/db and chaos/app. Raises
    docker errors on a failed pull (the caller decides whether to fall back)."""
    t0 = time.monotonic()
    src = _pull(client, ONLINE_DB_SOURCE)
    base = _pull(client, ONLINE_APP_BASE)
    log(f"  pulled {ONLINE_DB_SOURCE} and {ONLINE_APP_BASE} in {time.monotonic() - t0:.1f}s")
    recipe = db_online_recipe(src.id)
    img = None if force else _up_to_date(client, DB_TAG, recipe)
    if img is not None:
        db = _info(img, DB_TAG, False, 0.0)
    else:
        t1 = time.monotonic()
        img, _ = client.images.build(fileobj=io.BytesIO(f"FROM {ONLINE_DB_SOURCE}\n".encode()),
                                     tag=DB_TAG, pull=False, rm=True,
                                     labels={RECIPE_LABEL: recipe, MODE_LABEL: "online"})
        db = _info(img, DB_TAG, True, time.monotonic() - t1)
    if not app:
        return [db]
    return [db, _ensure_app(client, ONLINE_APP_BASE, base.id, "online", force, log)]


def _drop_replaced(client: Any, old_ids: list[str], keep: set[str], log: Log) -> None:
    """Remove images our tags pointed at before this build, if nothing else refers to
    them now (no tag, no container, no child image); anything in use stays."""
    import docker

    for old in old_ids:
        if old in keep:
            continue
        try:
            img = client.images.get(old)
            if img.tags:
                continue
            client.images.remove(old, force=False, noprune=False)
            log(f"  removed the replaced image {old[7:19]}")
        except docker.errors.DockerException:
            pass  # in use or already gone: leave it


def _current_infos(client: Any, tags: tuple[str, ...]) -> list[ImageInfo]:
    out = []
    for t in tags:
        img = _get(client, t)
        assert img is not None
        out.append(_info(img, t, False, 0.0))
    return out


def build_images(offline: bool | None = None, mirror: str | None = None, force: bool = False,
                 log: Log = print, client: Any = None, app: bool = True) -> list[ImageInfo]:
    """Make chaos/db and chaos/app (and, offline, chaos/pybase) exist and match their
    recipes; build only what is missing or changed (everything with ``force``).
    ``app=False`` leaves out the sample app, for a lab whose compose file does not use it.

    ``offline=True``: debootstrap + docker import, no registry. ``offline=False``: pull
    from the registry or fail. ``offline=None``: reuse whatever set is complete;
    otherwise try the registry and fall back to the offline build if the pull fails.
    """
    import docker

    c = _client(client)
    t0 = time.monotonic()
    with _build_lock():
        if offline is None and not force:
            if _offline_set_ready(c, app):
                return _current_infos(c, _tags(True, app))
            if _online_set_ready(c, app):
                return _current_infos(c, _tags(False, app))
        if offline is not True:
            log(f"lab images: pulling {ONLINE_DB_SOURCE} and {ONLINE_APP_BASE} "
                "from the registry ...")
            old = [i.id for t in (APP_TAG, DB_TAG) if (i := _get(c, t)) is not None]
            try:
                infos = _build_online(c, force, log, app)
                _drop_replaced(c, old, {i.id for i in infos}, log)
                log(f"lab images: ready in {time.monotonic() - t0:.1f}s (registry)")
                return infos
            except (docker.errors.APIError, docker.errors.ImageNotFound) as exc:
                reason = getattr(exc, "explanation", None) or str(exc)
                if offline is False:
                    raise LabError("cannot pull the lab images from the registry: "
                                   f"{reason}") from None
                log(f"lab images: registry not reachable after {time.monotonic() - t0:.1f}s "
                    f"({str(reason).splitlines()[0][:160]}); building offline instead")
        if not force and _offline_set_ready(c, app):
            return _current_infos(c, _tags(True, app))
        log("lab images: offline build (debootstrap + docker import) ...")
        t1 = time.monotonic()
        old = [i.id for t in (APP_TAG, DB_TAG, PYBASE_TAG) if (i := _get(c, t)) is not None]
        infos = _build_offline(c, mirror, force, log, app)
        _drop_replaced(c, old, {i.id for i in infos}, log)
        if any(i.built for i in infos):
            log(f"lab images: ready in {time.monotonic() - t1:.1f}s (offline)")
        return infos
