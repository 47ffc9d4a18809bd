"""Where a run's scenario came from: the git commit that holds it."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_commit(directory: Path) -> str | None:
    """HEAD of the git repository holding the scenario, so a comparison says what it compared."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):  # no git, or no such directory
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and len(sha) >= 40 else None
