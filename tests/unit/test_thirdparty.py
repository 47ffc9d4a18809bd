"""No third-party library speaks to the user (issue #28): with an unwritable home,
matplotlib's "created a temporary cache directory" warning reached the terminal of
every ``chaos report``. It now keeps its cache in chaos's own cache directory.

A subprocess each: matplotlib reads ``MPLCONFIGDIR`` once, when it is imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE_RUN = REPO / "tests" / "data" / "runs" / "seed-sample"
UNSET = ("MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "CHAOS_CACHE_DIR")


def report(run: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in UNSET}
    return subprocess.run([sys.executable, "-m", "chaos", "report", str(run)],
                          env={**clean, **env}, capture_output=True, text=True, timeout=120,
                          check=False)


def copy_run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    for name in ("result.json", "timeline.jsonl"):
        shutil.copy(SAMPLE_RUN / name, run / name)
    return run


def test_an_unwritable_home_gives_no_matplotlib_warning(tmp_path):
    home = tmp_path / "home"
    home.write_text("")     # a file: nothing can be made under it, even by root
    done = report(copy_run(tmp_path), HOME=str(home))
    assert done.returncode == 0, done.stderr
    assert "chart.png" in done.stdout
    assert done.stderr == "", done.stderr


def test_matplotlibs_cache_is_kept_in_chaoss_cache_directory(tmp_path):
    cache = tmp_path / "cache"
    done = report(copy_run(tmp_path), HOME=str(tmp_path), CHAOS_CACHE_DIR=str(cache))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert (cache / "matplotlib").is_dir()
    assert not (tmp_path / ".config" / "matplotlib").exists()
