"""The engine's local images, as both build paths see them: looked up, checked against
their recipe, and the sample app built on top of a base (pulled or built offline)."""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from chaos.errors import LabError
from chaos.lab.images.recipes import MODE_LABEL, RECIPE_LABEL, app_context_dir, app_recipe
from chaos.lab.images.rootfs import Log


class ImageInfo(NamedTuple):
    tag: str
    id: str
    size_bytes: int
    built: bool  # True if this call built (or pulled) it, False if reused
    seconds: float  # time spent on this image in this call


def engine(client: Any = None) -> Any:
    if client is not None:
        return client
    from chaos.lab.engine import client as engine_client

    return engine_client()


def get(client: Any, tag: str) -> Any | None:
    import docker

    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as exc:
        raise LabError(f"docker could not inspect image {tag}: {exc}") from None


def label(image: Any, key: str) -> str | None:
    return (image.labels or {}).get(key) if image is not None else None


def info(image: Any, tag: str, built: bool, seconds: float) -> ImageInfo:
    return ImageInfo(tag, image.id, int(image.attrs.get("Size") or 0), built, round(seconds, 2))


def up_to_date(client: Any, tag: str, recipe: str | None) -> Any | None:
    img = get(client, tag)
    if img is not None and recipe is not None and label(img, RECIPE_LABEL) == recipe:
        return img
    return None


def current_infos(client: Any, tags: tuple[str, ...]) -> list[ImageInfo]:
    out = []
    for t in tags:
        img = get(client, t)
        if img is None:
            raise LabError(f"the image {t} disappeared while the lab images were checked")
        out.append(info(img, t, False, 0.0))
    return out


def _build_app(client: Any, tag: str, base: str, recipe: str, mode: str) -> Any:
    import docker

    try:
        img, _logs = client.images.build(
            path=str(app_context_dir()), buildargs={"BASE": base}, tag=tag, pull=False,
            rm=True, forcerm=True, labels={RECIPE_LABEL: recipe, MODE_LABEL: mode})
    except docker.errors.BuildError as exc:
        tail = "\n".join("  " + str(c.get("stream") or c.get("error") or "").rstrip()
                         for c in list(exc.build_log)[-15:] if isinstance(c, dict))
        raise LabError(f"building {tag} failed: {exc.msg}\n{tail}") from None
    except docker.errors.APIError as exc:
        raise LabError(f"building {tag} failed: {exc}") from None
    return img


def ensure_app(client: Any, tag: str, base: str, base_id: str, mode: str, force: bool,
               log: Log) -> ImageInfo:
    """The sample app ``tag`` built ``FROM base`` (whose image id is ``base_id``), reused
    when its recipe (the app's files and that id) has not changed."""
    recipe = app_recipe(base_id)
    img = None if force else up_to_date(client, tag, recipe)
    if img is not None:
        return info(img, tag, False, 0.0)
    log(f"  {tag}: docker build FROM {base} ...")
    t0 = time.monotonic()
    img = _build_app(client, tag, base, recipe, mode)
    dt = time.monotonic() - t0
    log(f"  {tag}: built in {dt:.1f}s")
    return info(img, tag, True, dt)


def drop_replaced(client: Any, old_ids: list[str], keep: set[str], log: Log) -> None:
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
