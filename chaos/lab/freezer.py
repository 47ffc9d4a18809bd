"""Unpausing a container even when the engine hangs doing it.

``docker pause`` freezes the container's cgroup. When a health check's exec is
in flight at that instant, the engine can hang on the container until the exec
ends, which a frozen exec never does: ``docker unpause``, ``inspect`` and
``rm`` block (moby/moby#36661; seen here about once in ten pauses of a
health-checked database on a loaded 2-core host with cgroup v1). A fault must
never leave the database frozen, so ``unpause`` gives the engine a short
timeout, and if it hangs, thaws the cgroup through the kernel's freezer
interface on this host, which lets the exec finish and the engine go on; then
it brings the engine's own state ("Paused") back in line by freezing and
unpausing once more through the engine.

The freezer files exist only for an engine on this host run by this user's
privileges (root); elsewhere the timeout becomes a clear error.

Freezing can fail the other way too: runc gives up with "unable to freeze" when a
process of the container does not stop in time (a backup's pg_dump busy on disk,
seen in the interrupt harness on a loaded host); runc thaws what it froze, so
``pause`` simply tries again, a few times, before the fault reports the error.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError

from chaos.errors import LabError

UNPAUSE_TIMEOUT_S = 15
CGROUP = Path("/sys/fs/cgroup")


def freezer_file(container_id: str, root: Path | None = None) -> tuple[Path, str, str] | None:
    """The container's freezer control: (path, frozen value, thawed value), or None."""
    root = CGROUP if root is None else root
    v1 = [root / "freezer" / "docker" / container_id / "freezer.state",
          root / "freezer" / "system.slice" / f"docker-{container_id}.scope" / "freezer.state"]
    v2 = [root / "system.slice" / f"docker-{container_id}.scope" / "cgroup.freeze",
          root / "docker" / container_id / "cgroup.freeze"]
    for path in v1:
        if path.is_file():
            return path, "FROZEN", "THAWED"
    for path in v2:
        if path.is_file():
            return path, "1", "0"
    return None


def set_frozen(container_id: str, frozen: bool, root: Path | None = None) -> bool:
    """Freeze or thaw through the kernel, bypassing the engine; False if not reachable."""
    found = freezer_file(container_id, root)
    if found is None:
        return False
    path, on, off = found
    try:
        path.write_text(on if frozen else off)
    except OSError:
        return False
    return True


def _quick_api() -> docker.APIClient:
    return docker.from_env(timeout=UNPAUSE_TIMEOUT_S).api


def _unpause_once(container_id: str) -> bool:
    """True when unpaused (or not paused); False when the engine did not answer in time."""
    try:
        _quick_api().unpause(container_id)
    except (requests.exceptions.Timeout, requests.exceptions.ConnectionError):
        return False
    except APIError as exc:
        if "not paused" not in str(exc):
            raise LabError(f"cannot unpause container {container_id[:12]}: {exc}") from exc
    return True


PAUSE_ATTEMPTS = 3
PAUSE_RETRY_S = 0.5


def pause(container: Any) -> dict[str, object]:
    """``container.pause()``, tried again while runc reports it could not freeze."""
    for attempt in range(1, PAUSE_ATTEMPTS):
        try:
            container.pause()
            return {"pause_attempts": attempt} if attempt > 1 else {}
        except APIError as exc:
            if "unable to freeze" not in str(exc):
                raise
            time.sleep(PAUSE_RETRY_S)
    container.pause()   # the last try: its error is the fault's error
    return {"pause_attempts": PAUSE_ATTEMPTS}


def unpause(container_id: str) -> dict[str, object]:
    """Unpause a paused container, recovering from a hung engine; what it took."""
    t0 = time.monotonic()
    if _unpause_once(container_id):
        return {}
    if not set_frozen(container_id, False):
        raise LabError(
            f"the engine did not unpause container {container_id[:12]} within "
            f"{UNPAUSE_TIMEOUT_S:.0f} s (a health check caught mid-pause: moby/moby#36661), "
            "and its cgroup freezer is not reachable from here; it may stay frozen: "
            "`docker unpause` it by hand")
    detail: dict[str, object] = {"engine_hung": True, "thawed_by": "cgroup freezer"}
    # The container runs again; the engine still says Paused. Once the stuck exec has
    # ended, freeze it again through the kernel and let the engine unpause it.
    time.sleep(1.0)
    if set_frozen(container_id, True) and not _unpause_once(container_id):
        set_frozen(container_id, False)         # never leave it frozen
        detail["engine_state"] = "still says paused"
    detail["unpause_s"] = round(time.monotonic() - t0, 3)
    return detail
