"""Write files so that a reader never sees half of one: temp file, fsync, rename.

Everything written here is redacted first (``chaos.redact``): result.json and
every report go through this module. A failed write (a full disk) raises
``ChaosError`` naming the file and leaves any previous version of it intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chaos.errors import ChaosError
from chaos.redact import redact, redact_data


def write_text(path: Path, text: str) -> None:
    _write(Path(path), redact(text))


def write_bytes(path: Path, data: bytes) -> None:
    """A binary file (a chart's PNG): written the same careful way; no text to redact."""
    _write(Path(path), data)


def write_json(path: Path, data: Any) -> None:
    _write(Path(path), json.dumps(redact_data(data), indent=2, default=str) + "\n")


def _write(path: Path, text: str | bytes) -> None:
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        binary = isinstance(text, bytes)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise ChaosError(f"cannot write {path}: {exc.strerror or exc}; "
                         "the previous version, if any, is unchanged") from exc
    finally:
        if tmp is not None and Path(tmp).exists():
            Path(tmp).unlink(missing_ok=True)


def exclusive_dir(parent: Path, new_name: Callable[[], str]) -> Path:
    """Create ``parent/<new_name()>`` that no one else has; a taken name draws a new one.

    Two runs started in the same second must never share a run directory.
    """
    for _ in range(100):
        path = Path(parent) / new_name()
        try:
            path.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            continue
        return path
    raise ChaosError(f"cannot find a free run directory name under {parent}")
