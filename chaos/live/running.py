"""Runs going on on this machine, so `chaos mark` finds the one to mark.

Each run with a live page writes ``<state dir>/chaos/runs/<run id>.json``
(``{run_id, pid, url, link, scenario, out}``) when its page starts and removes it
when the run ends. A file whose process is gone (a killed run) is ignored. The
file is readable by its owner only: ``link`` is the facilitator's (the person who
started the run is the facilitator, on this machine).

    announce(run_id, url, scenario_name, out, link)   # by the run
    find_running()                              # by `chaos mark`: the one live run
    post_mark(run, "detected", note=None)       # what the page's buttons do
    from_link("http://host:port/?key=...")      # `chaos mark --link`: any machine
"""

from __future__ import annotations

import getpass
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from chaos.atomic import write_bytes
from chaos.errors import ChaosError, UsageError
from chaos.lab.lab import state_root


def runs_dir() -> Path:
    return state_root().parent / "runs"


def announce(run_id: str, url: str, scenario: str, out: Path, link: str | None = None) -> Path:
    path = runs_dir() / f"{run_id}.json"
    data = {"run_id": run_id, "pid": os.getpid(), "url": url, "link": link or url,
            "scenario": scenario, "out": str(Path(out).resolve())}
    # Bytes, not write_json: that would mask the token the file exists to keep. The
    # temporary file it renames is made by mkstemp: readable by its owner only.
    write_bytes(path, json.dumps(data).encode())
    return path


def from_link(link: str) -> dict[str, Any]:
    """A run to mark, from a role's link (``chaos mark --link URL``)."""
    parts = urllib.parse.urlsplit(link)
    token = urllib.parse.parse_qs(parts.query).get("key", [""])[0]
    if parts.scheme not in ("http", "https") or not parts.netloc or not token:
        raise UsageError("--link: give the whole link the run printed for your role "
                         "(http://HOST:PORT/?key=...)")
    return {"run_id": "", "url": f"{parts.scheme}://{parts.netloc}/", "link": link}


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


def token_of(link: str) -> str:
    query = urllib.parse.urlsplit(link).query
    return urllib.parse.parse_qs(query).get("key", [""])[0]


def post(url: str, path: str, body: dict[str, Any], timeout: float = 10,
         token: str = "") -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url.rstrip("/") + path, data=json.dumps(body).encode(),
                                 headers=headers, method="POST")
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
              by: str | None = None) -> dict[str, Any]:
    """Mark as ``by`` (default: this machine's user name), with the run's link's role."""
    name = by or _user()
    return post(run["url"], "/api/mark", {"mark": kind, "note": note, "by": name},
                token=token_of(run.get("link") or ""))


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):   # no user name in this environment (a container)
        return "cli"
