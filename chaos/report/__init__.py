"""Reports: each a pure function of result.json + timeline.jsonl."""

from __future__ import annotations

from pathlib import Path


def render_all(run_dir: str | Path) -> list[Path]:
    return []
