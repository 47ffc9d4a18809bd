"""The host's own Locust, as files to copy into an image: the distributions it needs.

    closure = locust_closure()          # from the running interpreter's environment
    closure.version                     # "2.47.0"
    closure.digest                      # changes when any copied file does
    closure.copy_into(root / "opt/chaos-load/site")

The closure is ``locust`` and, recursively, every requirement of it that applies here
(its markers evaluated for this interpreter and platform, extras followed where a
requirement names them) and is installed. Each distribution contributes the files
its ``RECORD`` lists under its own site directory, and its ``.dist-info``; scripts
installed elsewhere (``bin/locust``) are left out: the image runs ``python3 -m locust``.
The image's interpreter must be the same CPython minor version, so that compiled
wheels (gevent, greenlet, pyzmq, msgpack, psutil) load as they are.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata as md
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

# packaging: a requirement of matplotlib and of Locust's own closure (pytest), so always here.
from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from chaos.errors import LabError

ROOT_DISTRIBUTION = "locust"


@dataclass(frozen=True)
class LocustClosure:
    """Which distributions make the host's Locust, and every file to copy (relative path
    under the site directory -> the host's file)."""

    version: str
    python: str                        # "3.11": the minor version the files are for
    distributions: tuple[str, ...]     # "name==version", sorted
    files: tuple[tuple[str, Path], ...]

    @functools.cached_property
    def digest(self) -> str:
        """A hash of every file's path and content, and of the distributions. Not of what
        an install writes of itself: the bytecode pip compiles (stamped with the install's
        time) and RECORD (which hashes the scripts pip wrote with the venv's own path), so
        that two venvs of the same Locust share the image."""
        h = hashlib.sha256()
        for name in self.distributions:
            h.update(name.encode() + b"\0")
        for rel, src in self.files:
            if rel.endswith(".pyc") or rel.endswith(".dist-info/RECORD"):
                continue
            h.update(rel.encode() + b"\0")
            h.update(hashlib.sha256(src.read_bytes()).digest())
        return h.hexdigest()[:32]

    def copy_into(self, site: Path) -> None:
        """Copy the files under ``site`` (made if missing), keeping modes and times so that
        the copied bytecode stays valid for its sources."""
        for rel, src in self.files:
            dst = site / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _applies(req: Requirement, extras: frozenset[str]) -> bool:
    if req.marker is None:
        return True
    env: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
    return any(req.marker.evaluate({**env, "extra": e}) for e in (extras or {""}))


def _requirements(dist: md.Distribution, extras: frozenset[str]) -> list[Requirement]:
    out = []
    for text in dist.requires or []:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise LabError(f"{dist.metadata['Name']}: unreadable requirement {text!r}: "
                           f"{exc}") from None
        if _applies(req, extras):
            out.append(req)
    return out


def _walk(root: str) -> dict[str, md.Distribution]:
    """Every installed distribution ``root`` needs here, by canonical name."""
    found: dict[str, md.Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(root, frozenset[str]())]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if (key, extras) in seen:
            continue
        seen.add((key, extras))
        try:
            dist = found.get(key) or md.distribution(name)
        except md.PackageNotFoundError:
            if key == canonicalize_name(root):
                raise LabError(f"{root} is not installed in {sys.prefix}: the load-worker "
                               "image copies the host's own Locust") from None
            continue  # an optional need that is not installed: the host runs without it
        found[key] = dist
        todo += [(r.name, frozenset(r.extras)) for r in _requirements(dist, extras)]
    return found


def _files(dist: md.Distribution) -> list[tuple[str, Path]]:
    """(path under the site directory, the host's file) of one distribution."""
    site = Path(str(dist.locate_file(""))).resolve()
    listed = [Path(str(dist.locate_file(f))) for f in dist.files or []]
    info = getattr(dist, "_path", None)   # the .dist-info directory, whole
    if isinstance(info, Path) and info.is_dir():
        listed += [p for p in info.rglob("*") if p.is_file()]
    out: dict[str, Path] = {}
    for p in listed:
        src = p.resolve()
        if not src.is_relative_to(site) or not src.is_file():
            continue   # a script in bin/, a file the RECORD names but pip did not keep
        out[str(src.relative_to(site))] = src
    return sorted(out.items())


def locust_closure() -> LocustClosure:
    """The host's Locust and what it needs, as installed for the running interpreter."""
    dists = _walk(ROOT_DISTRIBUTION)
    files: dict[str, Path] = {}
    for dist in dists.values():
        files.update(_files(dist))
    names = sorted(f"{canonicalize_name(k)}=={d.version}" for k, d in dists.items())
    return LocustClosure(version=dists[canonicalize_name(ROOT_DISTRIBUTION)].version,
                         python=f"{sys.version_info.major}.{sys.version_info.minor}",
                         distributions=tuple(names), files=tuple(sorted(files.items())))
