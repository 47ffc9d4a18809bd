"""What the observability image's rootfs needs beyond its packages.

:func:`chaos.lab.images.rootfs.offline_image` installs the packages; these hooks keep the UI
assets out (dpkg never unpacks them), remove the console directories, make the data
directories the upstream images have, and check that every binary still starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from chaos.errors import LabError
from chaos.lab.images.observerecipe import (
    DATA_DIRS,
    NOBODY,
    OBSERVE_EXCLUDE,
    OBSERVE_REMOVE,
    OFFLINE_BINARIES,
)
from chaos.lab.images.rootfs import STD_PATH

DPKG_EXCLUDE = "etc/dpkg/dpkg.cfg.d/chaos-observe-headless"


def observe_pre(root: Path) -> None:
    """Before the packages: dpkg skips the UI assets (faster than unpacking 218 MB)."""
    path = root / DPKG_EXCLUDE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# chaos: a headless lab serves no web UI\n"
                    + "".join(f"path-exclude {p}\n" for p in OBSERVE_EXCLUDE))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.is_symlink() or path.exists():
        path.unlink()


def observe_post(root: Path) -> None:
    """After the packages: strip, make the data directories, smoke-test the binaries."""
    for pattern in OBSERVE_EXCLUDE:
        d = root / pattern.strip("/").removesuffix("/*")
        if d.is_dir():
            for p in list(d.iterdir()):
                _remove(p)
    for rel in OBSERVE_REMOVE:
        _remove(root / rel)
    for name in DATA_DIRS:
        d = root / name
        d.mkdir(exist_ok=True)
        os.chown(d, NOBODY, NOBODY)
        d.chmod(0o775)
    for part, binary in OFFLINE_BINARIES.items():
        _check_starts(root, part, binary)


def _check_starts(root: Path, part: str, binary: str) -> None:
    if not (root / binary.lstrip("/")).is_file():
        raise LabError(f"chaos/observe: {binary} ({part}) is missing after the package install")
    try:
        proc = subprocess.run(["chroot", str(root), binary, "--version"], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=60, check=False,
                              env={"PATH": STD_PATH, "LANG": "C.UTF-8"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"chaos/observe: cannot run {binary} --version: {exc}") from None
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).decode(errors="replace").strip()[-300:]
        raise LabError(f"chaos/observe: {binary} --version failed (exit {proc.returncode}): "
                       f"{out}")
