"""The online set: the lab's images derived from two registry images.

``chaos/db`` is the registry's PostgreSQL image (``postgres:16`` unless
``CHAOS_DB_SOURCE_IMAGE`` says otherwise) with our recipe labels added, nothing
else: a compose file talks to it exactly as to the official image (``POSTGRES_*``
variables, ``/docker-entrypoint-initdb.d``). ``chaos/app`` is the sample app built
``FROM`` the Python base (``python:3.12-slim``, ``CHAOS_APP_BASE_IMAGE``).

A failed pull raises the engine's error (``docker.errors.APIError``) unchanged:
whether that ends the build or sends it to the offline path is the caller's
decision (:func:`chaos.lab.images.labset.build_images`).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

from chaos.errors import LabError
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.localimages import ImageInfo, drop_replaced, ensure_app, get, info, up_to_date
from chaos.lab.images.recipes import MODE_LABEL, RECIPE_LABEL, app_recipe, db_online_recipe
from chaos.lab.images.rootfs import Log

#: Which registry image each derived image came from (``docker inspect`` shows it).
SOURCE_LABEL = "chaos.image.source"


def pull_or_fall_back(client: Any, what: str, failure: str, old: list[str],
                      build: Callable[[], list[ImageInfo]], offline: bool | None, log: Log,
                      t0: float) -> list[ImageInfo] | None:
    """``build()`` (a pull from the registry), dropping the images it replaced; None when
    the pull failed and ``offline is None`` (the caller builds offline instead, logged
    under ``what``), a LabError ``failure: <the engine's reason>`` when ``offline is False``."""
    import docker

    try:
        infos = build()
    except (docker.errors.APIError, docker.errors.ImageNotFound) as exc:
        reason = str(getattr(exc, "explanation", None) or exc).splitlines()[0][:300]
        if offline is False:
            raise LabError(f"{failure}: {reason}") from None
        log(f"{what}: registry not reachable after {time.monotonic() - t0:.1f}s "
            f"({reason[:160]}); building offline instead")
        return None
    drop_replaced(client, old, {i.id for i in infos}, log)
    return infos


def pull(client: Any, ref: str, log: Log) -> Any:
    """``docker pull ref``; the SDK parses ``host:port/name:tag`` and ``name@sha256:...``."""
    t0 = time.monotonic()
    img = client.images.pull(ref)
    log(f"  pulled {ref} in {time.monotonic() - t0:.1f}s")
    return img


def online_set_ready(client: Any, names: ImageNames, app: bool = True) -> bool:
    """True if the registry images are here and our images are derived from them."""
    src = get(client, names.db_source)
    if src is None or up_to_date(client, names.db,
                                 db_online_recipe(src.id, names.db_source)) is None:
        return False
    if not app:
        return True
    base = get(client, names.app_base)
    return base is not None and up_to_date(client, names.app, app_recipe(base.id)) is not None


def _derive_db(client: Any, names: ImageNames, recipe: str) -> Any:
    import docker

    dockerfile = f"FROM {names.db_source}\n"
    try:
        img, _ = client.images.build(
            fileobj=io.BytesIO(dockerfile.encode()), tag=names.db, pull=False, rm=True,
            labels={RECIPE_LABEL: recipe, MODE_LABEL: "online", SOURCE_LABEL: names.db_source})
    except (docker.errors.BuildError, docker.errors.APIError) as exc:
        raise LabError(f"deriving {names.db} from {names.db_source} failed: {exc}") from None
    return img


def build_online(client: Any, names: ImageNames, force: bool, log: Log,
                 app: bool = True) -> list[ImageInfo]:
    """Pull the registry images and derive the db (and, with ``app``, the sample app)."""
    src = pull(client, names.db_source, log)
    base = pull(client, names.app_base, log) if app else None
    recipe = db_online_recipe(src.id, names.db_source)
    img = None if force else up_to_date(client, names.db, recipe)
    if img is not None:
        db = info(img, names.db, False, 0.0)
    else:
        t0 = time.monotonic()
        db = info(_derive_db(client, names, recipe), names.db, True, time.monotonic() - t0)
        log(f"  {names.db}: derived from {names.db_source} in {db.seconds:.1f}s")
    if base is None:
        return [db]
    return [db, ensure_app(client, names.app, names.app_base, base.id, "online", force, log)]
