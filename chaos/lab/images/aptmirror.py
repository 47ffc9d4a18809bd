"""Which Debian mirror offline builds use: given, from the environment, or the host's.

The mirror's address is never written in the project: it is ``mirror=`` (``chaos
lab build --mirror``), else ``$CHAOS_APT_MIRROR``, else the first Debian source in
the host's apt configuration (one-line ``sources.list`` entries or deb822
``.sources`` files).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from chaos import settings
from chaos.errors import LabError

_DEBIAN_SUITES = {"bookworm", "trixie", "forky", "bullseye", "buster", "sid", "stable",
                  "testing", "unstable", "oldstable"}


def _apt_sources(etc: Path = Path("/etc/apt")) -> Iterator[tuple[str, list[str]]]:
    """(uri, suites) of every ``deb`` source in the host's apt configuration."""
    files = [etc / "sources.list"] + sorted((etc / "sources.list.d").glob("*"))
    for f in files:
        try:
            text = f.read_text(errors="replace")
        except OSError:
            continue
        if f.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields: dict[str, str] = {}
                key = None
                for line in stanza.splitlines():
                    if line.startswith("#") or not line.strip():
                        continue
                    if line[0].isspace() and key:
                        fields[key] += " " + line.strip()
                        continue
                    key, _, value = line.partition(":")
                    key = key.strip().lower()
                    fields[key] = value.strip()
                if "deb" not in fields.get("types", "").split():
                    continue
                if fields.get("enabled", "yes").lower() == "no":
                    continue
                suites = fields.get("suites", "").split()
                for uri in fields.get("uris", "").split():
                    yield uri, suites
        elif f.name == "sources.list" or f.suffix == ".list":
            for line in text.splitlines():
                line = line.split("#", 1)[0].strip()
                if not line.startswith("deb "):
                    continue
                line = re.sub(r"\[[^\]]*\]", " ", line[4:])
                parts = line.split()
                if len(parts) >= 2:
                    yield parts[0], [parts[1]]


def find_apt_mirror(mirror: str | None = None, *, etc: Path = Path("/etc/apt"),
                    suite: str = "bookworm") -> str:
    """The Debian archive to debootstrap from: the argument, ``$CHAOS_APT_MIRROR``, or
    the host's apt sources (the entry that serves a plain Debian suite, preferring
    ``suite``)."""
    explicit = mirror or settings.current().apt_mirror
    if explicit:
        return explicit.rstrip("/")
    candidates = [(uri, suites) for uri, suites in _apt_sources(etc)
                  if uri.startswith(("http://", "https://", "file:/"))]
    for wanted in ({suite}, _DEBIAN_SUITES):
        for uri, suites in candidates:
            if set(suites) & wanted:
                return uri.rstrip("/")
    raise LabError(
        "no Debian mirror found in the host's apt configuration (/etc/apt/sources.list, "
        "/etc/apt/sources.list.d/); pass --mirror URL or set CHAOS_APT_MIRROR"
    )
