"""Between trials: the database back to how it was before trial 1, the app settled."""

from __future__ import annotations

import time
import urllib.request

from chaos.lab.lab import Lab
from chaos.recover.backups import Backup, BackupStore


def reset_database(lab: Lab, golden: Backup, health_path: str | None) -> float:
    """Put the database back as it was before trial 1; returns the seconds it took."""
    t0 = time.monotonic()
    BackupStore(lab).restore(golden)
    if health_path:
        settle_app(lab.app_url + health_path)
    return round(time.monotonic() - t0, 3)


def settle_app(health_url: str, clean: int = 20, timeout: float = 30) -> None:
    """Let the app drop the pooled connections the restore killed: each would
    fail one request of the next trial, before its fault (a false alarm and
    failed requests that are not the fault's). Sequential calls to the
    scenario's ``lab.health_path`` cycle through the pool until ``clean`` in a
    row succeed. Without a health path the next trial's baseline is the check."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < clean and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health_url, timeout=2) as resp:
                streak = streak + 1 if resp.status == 200 else 0
        except OSError:
            streak = 0
            time.sleep(0.1)
