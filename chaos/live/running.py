"""Runs going on on this machine, so `chaos mark` finds the one to mark.

Each run with a live page writes ``<state dir>/chaos/runs/<run id>.json``
(``{run_id, pid, url, scenario, out}``) when its page starts and removes it
when the run ends. A file whose process is gone (a killed run) is ignored.

    announce(run_id, url, scenario_name, out)   # by the run
    find_running()                              # by `chaos mark`: the one live run
    post_mark(run, "detected", note=None)       # what the page's buttons do
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from chaos.atomic import write_json
from chaos.errors import ChaosError, UsageError
from chaos.lab.lab import state_root


def runs_dir() -> Path:
    return state_root().parent / "runs"


def announce(run_id: str, url: str, scenario: str, out: Path) -> Path:
    path = runs_dir() / f"{run_id}.json"
    write_json(path, {"run_id": run_id, "pid": os.getpid(), "url": url, "scenario": scenario,
                      "out": str(Path(out).resolve())})
    return path


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's process: alive
        return True
    return True


def running() -> list[dict[str, Any]]:
    found = []
    for path in sorted(runs_dir().glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and _alive(data.get("pid")) and data.get("url"):
            found.append(data)
    return found


def find_running(run_id: str | None = None) -> dict[str, Any]:
    runs = running()
    if run_id:
        runs = [r for r in runs if str(r.get("run_id", "")).startswith(run_id)]
    if len(runs) == 1:
        return runs[0]
    if not runs:
        which = f"matching {run_id!r} " if run_id else ""
        raise UsageError(f"no run {which}is going on here (looked in {runs_dir()})")
    names = ", ".join(r["run_id"] for r in runs)
    raise UsageError(f"{len(runs)} runs are going on ({names}); say which with --run RUN_ID")


def post(url: str, path: str, body: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
    req = urllib.request.Request(url.rstrip("/") + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        try:
            answer = json.loads(exc.read())
            reason = (answer.get("error") if isinstance(answer, dict) else None) or exc.reason
        except ValueError:
            reason = exc.reason
        error = UsageError if 400 <= exc.code < 500 else ChaosError
        raise error(f"the run refused the mark: {reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ChaosError(f"cannot reach the run's live page at {url}: {exc}") from None
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        # Something else answers at that address (a stale file pointing at a reused port).
        raise UsageError(f"{url} is not a chaos run's live page (its answer is not the "
                         "run's JSON); is the run still going? see --run") from None
    return answer


def post_mark(run: dict[str, Any], kind: str, note: str | None = None,
              by: str = "cli") -> dict[str, Any]:
    return post(run["url"], "/api/mark", {"mark": kind, "note": note, "by": by})
