"""Which names the lab's images go by, and which registry images the online set starts from.

    names = ImageNames.from_settings()   # the defaults, or what chaos.settings says
    names.db                           # "chaos/db:latest"
    names.db_source                    # "postgres:16"

``CHAOS_DB_SOURCE_IMAGE`` and ``CHAOS_APP_BASE_IMAGE`` name the registry images the
online build pulls (a private mirror, a pinned digest). ``CHAOS_IMAGE_PREFIX``
(default ``chaos/``) puts the images chaos builds under another name, so that a
second set can live beside the first (the registry-path test builds its own set
while other tests use ``chaos/db``); a compose file picks such a set with
``CHAOS_DB_IMAGE`` / ``CHAOS_APP_IMAGE``, as the sample's does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chaos import settings
from chaos.errors import UsageError
from chaos.lab.images.observerecipe import OBSERVE_TAG
from chaos.lab.images.recipes import (
    APP_TAG,
    DB_TAG,
    LOADWORKER_TAG,
    ONLINE_APP_BASE,
    ONLINE_DB_SOURCE,
    PYBASE_TAG,
)
from chaos.settings import Settings

DB_SOURCE_ENV = "CHAOS_DB_SOURCE_IMAGE"
APP_BASE_ENV = "CHAOS_APP_BASE_IMAGE"
PREFIX_ENV = "CHAOS_IMAGE_PREFIX"
DEFAULT_PREFIX = "chaos/"

# Docker's reference grammar, slightly simplified: [host[:port]/]path[:tag][@digest],
# each path component lower case.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
# A first component is a host only with a dot or a port in it, or as "localhost".
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = (rf"(?:(?:{_LABEL}(?:\.{_LABEL})+|localhost)(?::[0-9]{{1,5}})?/"
         rf"|{_LABEL}:[0-9]{{1,5}}/)")
REFERENCE = re.compile(rf"{_HOST}?{_COMPONENT}(?:/{_COMPONENT})*"
                       r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?")


def _suffix(tag: str) -> str:
    """``chaos/db:latest`` -> ``db:latest`` (what a prefix is put in front of)."""
    return tag.removeprefix(DEFAULT_PREFIX)


@dataclass(frozen=True)
class ImageNames:
    """The three local images a lab uses, and the two registry images behind the online set;
    ``observe`` is the offline observability image (:mod:`chaos.lab.images.observenames`),
    ``loadworker`` the load hosts' image (:mod:`chaos.lab.images.loadworkerset`)."""

    pybase: str = PYBASE_TAG
    db: str = DB_TAG
    app: str = APP_TAG
    db_source: str = ONLINE_DB_SOURCE
    app_base: str = ONLINE_APP_BASE
    observe: str = OBSERVE_TAG
    loadworker: str = LOADWORKER_TAG

    @classmethod
    def with_prefix(cls, prefix: str, db_source: str = ONLINE_DB_SOURCE,
                    app_base: str = ONLINE_APP_BASE) -> ImageNames:
        names = cls(pybase=prefix + _suffix(PYBASE_TAG), db=prefix + _suffix(DB_TAG),
                    app=prefix + _suffix(APP_TAG), db_source=db_source, app_base=app_base,
                    observe=prefix + _suffix(OBSERVE_TAG),
                    loadworker=prefix + _suffix(LOADWORKER_TAG))
        for what, ref in (("pybase", names.pybase), ("db", names.db), ("app", names.app),
                          ("observe", names.observe), ("loadworker", names.loadworker)):
            if not REFERENCE.fullmatch(ref):
                raise UsageError(f"{PREFIX_ENV}={prefix!r} makes the {what} image {ref!r}, "
                                 "which is not a valid image name (use lower case, e.g. "
                                 "'chaos-test/')")
        return names

    @classmethod
    def from_settings(cls, s: Settings | None = None) -> ImageNames:
        """The defaults, overridden by the settings ``image_prefix``, ``db_source_image`` and
        ``app_base_image`` (``CHAOS_IMAGE_PREFIX``, ...) where they are given."""
        s = settings.current() if s is None else s
        sources = {}
        for var, value in ((DB_SOURCE_ENV, s.db_source_image or ONLINE_DB_SOURCE),
                           (APP_BASE_ENV, s.app_base_image or ONLINE_APP_BASE)):
            if not REFERENCE.fullmatch(value):
                raise UsageError(f"{var}={value!r} is not an image reference "
                                 "(expected e.g. 'localhost:5000/postgres:16')")
            sources[var] = value
        return cls.with_prefix(s.image_prefix or DEFAULT_PREFIX,
                               db_source=sources[DB_SOURCE_ENV], app_base=sources[APP_BASE_ENV])

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ImageNames:
        """What ``env`` would make of them: ``from_settings(Settings.from_env(env))``."""
        return cls.from_settings(Settings.from_env(env))

    def tags(self, offline: bool, app: bool = True) -> tuple[str, ...]:
        """The images a set is made of: the offline one has pybase, the online one does not."""
        tags = (self.pybase, self.db) if offline else (self.db,)
        return (*tags, self.app) if app else tags
