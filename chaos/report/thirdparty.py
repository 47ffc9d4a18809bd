"""Third-party libraries' own state, kept in chaos's cache and off the user's terminal.

    from chaos.report import thirdparty
    thirdparty.own_caches()    # before matplotlib is imported

matplotlib keeps its configuration and font cache under ``$MPLCONFIGDIR``, else
``~/.config/matplotlib``; with an unwritable home it makes a temporary one and says
so on stderr, each run, in its own words. chaos points it at its own cache directory
(``$CHAOS_CACHE_DIR``, ``$XDG_CACHE_HOME/chaos``, ``~/.cache/chaos``, as the image
cache; else a private temporary directory, removed at exit) and sends matplotlib's
log below errors (its "building the font cache" note) nowhere. A ``MPLCONFIGDIR``
the user set is kept.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path

from chaos import settings


def cache_root() -> Path:
    """chaos's cache directory (``chaos.settings.Settings.cache_root``)."""
    return settings.current().cache_root


def own_caches() -> None:
    """Point matplotlib's configuration directory at chaos's cache, once per process."""
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    if os.environ.get("MPLCONFIGDIR"):
        return
    os.environ["MPLCONFIGDIR"] = str(_writable(cache_root() / "matplotlib") or _temporary())


def _writable(path: Path) -> Path | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):   # RuntimeError: a home directory that cannot be found
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


def _temporary() -> Path:
    path = Path(tempfile.mkdtemp(prefix="chaos-matplotlib-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
