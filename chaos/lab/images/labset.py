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
(the one pipeline, :func:`chaos.lab.images.ensure.ensure`, over this set) only builds
images that are missing or whose recipe hash changed. All five names
(the three above, the two registry sources) come from :class:`ImageNames`, which the
environment can change (``CHAOS_DB_SOURCE_IMAGE``, ``CHAOS_APP_BASE_IMAGE``,
``CHAOS_IMAGE_PREFIX``; docs/images.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from chaos.lab.images.dbrootfs import db_post, db_pre
from chaos.lab.images.ensure import ImageSet, OfflineImage, ensure
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.localimages import ImageInfo, engine, ensure_app, up_to_date
from chaos.lab.images.online import build_online, online_set_ready
from chaos.lab.images.recipes import (
    DB_PACKAGES,
    PYBASE_EXTRA_SUITES,
    PYBASE_PACKAGES,
    app_recipe,
    db_changes,
    db_offline_recipe,
    pybase_changes,
    pybase_recipe,
)
from chaos.lab.images.rootfs import Log

__all__ = ["ImageInfo", "ImageNames", "LabImages", "build_images", "images_ready"]


class LabImages(ImageSet):
    """chaos/db and chaos/app, and offline chaos/pybase under both (the module's text)."""

    what: ClassVar[str] = "lab images"
    failure: ClassVar[str] = "cannot pull the lab images from the registry"

    def __init__(self, names: ImageNames, app: bool = True) -> None:
        self.names, self.app = names, app

    def offline_images(self) -> list[OfflineImage]:
        n = self.names
        return [OfflineImage(n.pybase, pybase_recipe(), PYBASE_PACKAGES, pybase_changes(),
                             extra_suites=PYBASE_EXTRA_SUITES),
                OfflineImage(n.db, db_offline_recipe(), DB_PACKAGES, db_changes(),
                             pre=db_pre, post=db_post)]

    def offline_tags(self) -> tuple[str, ...]:
        return self.names.tags(True, self.app)

    def offline_ready(self, client: Any) -> bool:
        pybase = up_to_date(client, self.names.pybase, pybase_recipe())
        if pybase is None or up_to_date(client, self.names.db, db_offline_recipe()) is None:
            return False
        return not self.app or up_to_date(client, self.names.app,
                                          app_recipe(pybase.id)) is not None

    def finish_offline(self, client: Any, built: dict[str, ImageInfo], force: bool,
                       log: Log) -> dict[str, ImageInfo]:
        if not self.app:
            return {}
        n = self.names
        return {n.app: ensure_app(client, n.app, n.pybase, built[n.pybase].id, "offline",
                                  force, log)}

    def online_tags(self) -> tuple[str, ...]:
        return self.names.tags(False, self.app)

    def online_ready(self, client: Any) -> bool:
        return online_set_ready(client, self.names, self.app)

    def pull_sources(self) -> list[str]:
        return [self.names.db_source] + ([self.names.app_base] if self.app else [])

    def build_online(self, client: Any, force: bool, log: Log) -> list[ImageInfo]:
        return build_online(client, self.names, force, log, self.app)


def images_ready(client: Any = None, app: bool = True, names: ImageNames | None = None) -> bool:
    """True if chaos/db (and, with ``app``, the sample chaos/app) exist and match their
    recipe (offline set: chaos/pybase too). A few image inspections; no network, no build."""
    return LabImages(names or ImageNames.from_settings(), app).ready(engine(client))


def build_images(offline: bool | None = None, mirror: str | None = None, force: bool = False,
                 log: Log = print, client: Any = None, app: bool = True,
                 names: ImageNames | None = None) -> list[ImageInfo]:
    """Make chaos/db and chaos/app (and, offline, chaos/pybase) exist and match their
    recipes; build only what is missing or changed (everything with ``force``).
    ``app=False`` leaves out the sample app, for a lab whose compose file does not use it.
    ``names`` (default: :meth:`ImageNames.from_env`) says what the images are called.
    ``offline`` as in :func:`chaos.lab.images.ensure.ensure`."""
    return ensure(LabImages(names or ImageNames.from_settings(), app), offline=offline,
                  mirror=mirror, force=force, log=log, client=client)
