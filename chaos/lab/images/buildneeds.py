"""What this host needs for the lab's images to be made, asked before making them.

    build_needs()                 # []: the images are here, or a registry serves them
    build_needs(observe=True)     # ["root", "debootstrap"]: only an offline build can make them

The answer follows the order of :func:`chaos.lab.images.labset.build_images` (and
:func:`chaos.lab.images.observeset.ensure_observe_image`) with ``offline=None``: a complete
set is reused; else the registry images are pulled, so the registry is asked for their
manifests (the engine's ``docker manifest`` lookup: nothing is downloaded); else the
set is built offline, which needs root (a chroot) and, unless the base root filesystem
is cached, debootstrap. ``make demo`` installs only what this names
(``scripts/sysdeps demo``), so that a newcomer whose engine reaches a registry is asked
for nothing.
"""

from __future__ import annotations

import os
from typing import Any

from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.labset import images_ready
from chaos.lab.images.localimages import engine
from chaos.lab.images.observenames import ObserveNames
from chaos.lab.images.observeset import observe_image_ready
from chaos.lab.images.recipes import base_recipe, cache_dir, digest
from chaos.lab.images.rootfs import Log, base_tarball_path, find_debootstrap

__all__ = ["build_needs", "registry_serves"]


def registry_serves(client: Any, ref: str) -> str | None:
    """None if the engine's registry has a manifest for ``ref``, else why not."""
    import docker

    try:
        client.api.inspect_distribution(ref)
    except docker.errors.DockerException as exc:
        return str(getattr(exc, "explanation", None) or exc).splitlines()[0][:200]
    return None


def offline_needs() -> list[str]:
    """What an offline build needs that this host lacks: ``root``, ``debootstrap``."""
    needs = [] if os.geteuid() == 0 else ["root"]
    cached = base_tarball_path(cache_dir(), digest(base_recipe())[:16]).is_file()
    if not cached and find_debootstrap() is None:
        needs.append("debootstrap")
    return needs


def build_needs(*, observe: bool = False, client: Any = None,
                log: Log = lambda _m: None) -> list[str]:
    """The host tools ``chaos lab build [--observe]`` would need here and lacks (``[]``:
    none). Builds and pulls nothing; ``log`` hears why."""
    c = engine(client)
    names = ImageNames.from_settings()
    refs = [] if images_ready(c, names=names) else [names.db_source, names.app_base]
    if observe:
        onames = ObserveNames.from_settings()
        if not observe_image_ready(c, onames):
            refs += [u.source for u in onames.upstreams]
    if not refs:
        log("the images are here: nothing to build")
        return []
    missing = {ref: why for ref in refs if (why := registry_serves(c, ref)) is not None}
    if not missing:
        log("the registry serves " + ", ".join(refs) + ": they will be pulled")
        return []
    for ref, why in missing.items():
        log(f"the registry does not serve {ref} ({why}): an offline build")
    return offline_needs()
