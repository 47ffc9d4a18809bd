"""The online observability set: each upstream image pulled and relabelled locally.

``prom/prometheus``, ``prom/alertmanager`` and ``prometheuscommunity/postgres-exporter``
(pinned tags, ``CHAOS_*_IMAGE`` to change them) become ``<prefix>observe-<part>:latest``
with our recipe labels and nothing else, as ``postgres:16`` becomes ``chaos/db``
(:mod:`chaos.lab.images.online`). A failed pull raises the engine's error unchanged;
whether that ends the build or falls back to the offline image is
:func:`chaos.lab.images.observeset.ensure_observe_image`'s decision.
"""

from __future__ import annotations

import io
import time
from typing import Any

from chaos.errors import LabError
from chaos.lab.images.localimages import ImageInfo, get, info, up_to_date
from chaos.lab.images.observenames import ObserveNames, Upstream
from chaos.lab.images.observerecipe import observe_online_recipe
from chaos.lab.images.online import SOURCE_LABEL, pull
from chaos.lab.images.recipes import MODE_LABEL, RECIPE_LABEL
from chaos.lab.images.rootfs import Log


def online_ready(client: Any, names: ObserveNames) -> bool:
    """True if every upstream image is here and our local name is derived from it."""
    for u in names.upstreams:
        src = get(client, u.source)
        if src is None or up_to_date(client, u.local,
                                     observe_online_recipe(u.part, u.source, src.id)) is None:
            return False
    return True


def _derive(client: Any, u: Upstream, recipe: str) -> Any:
    import docker

    try:
        img, _ = client.images.build(
            fileobj=io.BytesIO(f"FROM {u.source}\n".encode()), tag=u.local, pull=False,
            rm=True, labels={RECIPE_LABEL: recipe, MODE_LABEL: "online", SOURCE_LABEL: u.source})
    except (docker.errors.BuildError, docker.errors.APIError) as exc:
        raise LabError(f"deriving {u.local} from {u.source} failed: {exc}") from None
    return img


def build_online(client: Any, names: ObserveNames, force: bool, log: Log) -> list[ImageInfo]:
    """Pull the three upstream images (all before deriving any) and derive our names."""
    sources = {u.part: pull(client, u.source, log) for u in names.upstreams}
    out = []
    for u in names.upstreams:
        recipe = observe_online_recipe(u.part, u.source, sources[u.part].id)
        img = None if force else up_to_date(client, u.local, recipe)
        if img is not None:
            out.append(info(img, u.local, False, 0.0))
            continue
        t0 = time.monotonic()
        out.append(info(_derive(client, u, recipe), u.local, True, time.monotonic() - t0))
        log(f"  {u.local}: derived from {u.source} in {out[-1].seconds:.1f}s")
    return out
