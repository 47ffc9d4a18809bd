"""The load-worker image: Debian's python3 with the host's own Locust, built offline.

    ensure_loadworker_image(log=print)      # build only if missing or outdated
    loadworker_image_ready()                # True when it matches the host's Locust

``chaos/loadworker:latest`` is a host that runs ``python3 -m locust --worker`` against a
master elsewhere (tests/loadhosts.py starts such hosts). It is bookworm's ``python3``
(3.11), ``libfaketime`` (a worker whose clock is off: ``LD_PRELOAD=`` :data:`FAKETIME_LIB`
and ``FAKETIME=+2s``) and ``procps``, plus the distributions of the interpreter that
builds it, copied file by file (:mod:`chaos.lab.images.locustclosure`) under
:data:`SITE`, which ``PYTHONPATH`` names. Nothing is downloaded for Locust: the
workers run exactly the Locust the master does, which distributed mode needs.

The recipe hashes the packages, the image changes and every copied file, so a new
Locust (or any of its distributions) on the host rebuilds the image. There is no
registry variant: the pipeline (:func:`chaos.lab.images.ensure.ensure`) is always
asked for the offline set, on the shared base tarball and under the same build lock.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any, ClassVar

from chaos.errors import LabError
from chaos.lab.images.ensure import ImageSet, OfflineImage, ensure
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.localimages import ImageInfo, engine, up_to_date
from chaos.lab.images.locustclosure import LocustClosure, locust_closure
from chaos.lab.images.recipes import base_recipe, digest
from chaos.lab.images.rootfs import STD_PATH, Log

__all__ = ["FAKETIME_LIB", "SITE", "LoadWorkerImages", "ensure_loadworker_image",
           "faketime_env", "loadworker_image_ready"]

#: Bump to rebuild the image when its build steps (not its inputs) change.
LOADWORKER_BUILD_VERSION = "1"
LOADWORKER_PACKAGES = ("python3", "libfaketime", "procps", "ca-certificates")
SITE = "/opt/chaos-load/site"
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
LOCUST_VERSION_LABEL = "chaos.locust.version"


def faketime_env(offset: str) -> dict[str, str]:
    """The environment that shifts a process's wall clock by ``offset``, in libfaketime's
    relative form ("+2s", "-1.5"). Monotonic clocks are left alone, as on a real host
    whose wall clock is off."""
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": offset, "DONT_FAKE_MONOTONIC": "1"}


def loadworker_changes(closure: LocustClosure) -> list[str]:
    return [f"ENV PATH={STD_PATH}", "ENV LANG=C.UTF-8", f"ENV PYTHONPATH={SITE}",
            f"LABEL {LOCUST_VERSION_LABEL}={closure.version}",
            'CMD ["python3", "-m", "locust", "--version"]']


def loadworker_recipe(closure: LocustClosure) -> str:
    return digest({"image": "loadworker", "base": base_recipe(),
                   "packages": sorted(LOADWORKER_PACKAGES), "changes": loadworker_changes(closure),
                   "build": LOADWORKER_BUILD_VERSION, "python": closure.python,
                   "distributions": list(closure.distributions), "files": closure.digest})


def _post(closure: LocustClosure, root: Path) -> None:
    """After the packages: the same Python minor as the host's, Locust copied, and it starts."""
    if not (root / f"usr/bin/python{closure.python}").is_file():
        found = sorted(p.name for p in (root / "usr/bin").glob("python3.*"))
        raise LabError(f"chaos/loadworker: the host's Locust is installed for Python "
                       f"{closure.python}, the image has {', '.join(found) or 'no python3'}: "
                       "build it from an interpreter of the image's version")
    closure.copy_into(root / SITE.lstrip("/"))
    try:
        proc = subprocess.run(["chroot", str(root), "python3", "-m", "locust", "--version"],
                              capture_output=True, stdin=subprocess.DEVNULL, timeout=120,
                              check=False, env={"PATH": STD_PATH, "LANG": "C.UTF-8",
                                                "PYTHONPATH": SITE})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"chaos/loadworker: cannot run python3 -m locust: {exc}") from None
    out = (proc.stdout + proc.stderr).decode(errors="replace").strip()
    if proc.returncode != 0 or closure.version not in out:
        raise LabError(f"chaos/loadworker: python3 -m locust --version failed "
                       f"(exit {proc.returncode}): {out[-400:]}")


class LoadWorkerImages(ImageSet):
    """One offline image; no registry set (the host's Locust is the point)."""

    what: ClassVar[str] = "load-worker image"
    failure: ClassVar[str] = "the load-worker image has no registry source"

    def __init__(self, names: ImageNames) -> None:
        self.names = names

    @functools.cached_property
    def closure(self) -> LocustClosure:
        return locust_closure()

    def offline_images(self) -> list[OfflineImage]:
        c = self.closure
        return [OfflineImage(self.names.loadworker, loadworker_recipe(c), LOADWORKER_PACKAGES,
                             loadworker_changes(c), post=functools.partial(_post, c))]

    def online_tags(self) -> tuple[str, ...]:
        return self.offline_tags()

    def online_ready(self, client: Any) -> bool:
        return False

    def pull_sources(self) -> list[str]:
        return []

    def build_online(self, client: Any, force: bool, log: Log) -> list[ImageInfo]:
        raise LabError(self.failure)


def loadworker_image_ready(client: Any = None, names: ImageNames | None = None) -> bool:
    """True if the image exists and holds the host's Locust as installed now (a hash of
    its files, a few image inspections; no build)."""
    images = LoadWorkerImages(names or ImageNames.from_settings())
    image = images.offline_images()[0]
    return up_to_date(engine(client), image.tag, image.recipe) is not None


def ensure_loadworker_image(log: Log = print, mirror: str | None = None, force: bool = False,
                            client: Any = None,
                            names: ImageNames | None = None) -> list[ImageInfo]:
    """Make the load-worker image exist and match the host's Locust; build it (offline,
    as root, from the cached base) only when missing or outdated, or with ``force``."""
    return ensure(LoadWorkerImages(names or ImageNames.from_settings()), offline=True,
                  mirror=mirror, force=force, log=log, client=client)
