"""Check a user's locustfile before any container starts.

    problem = check_locustfile(Path("locustfile.py"))   # None, or (line, message)

First without running it: it must be UTF-8 Python that parses (a syntax error
names its line). Then it is imported the way Locust would, in a subprocess
(importing locust monkey-patches a process with gevent; the orchestrator must
stay unpatched): an import that fails names the file's line where it failed,
and a file that defines no User class to run is refused too.

    python -m chaos.scenario.proc.locustprobe FILE   # {"users": [...]} or {"error": ..., "line": N}
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from pathlib import Path

PROBE_TIMEOUT_S = 60
PROBE = "chaos.scenario.proc.locustprobe"   # run in its own interpreter, never imported


def check_locustfile(path: Path) -> tuple[int | None, str] | None:
    try:
        stat = path.stat()
    except OSError as exc:
        return None, f"cannot read locustfile {path}: {exc}"
    # `chaos validate scenarios/*.yaml` often names one locustfile a dozen times.
    return _check(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _check(path: Path, _mtime_ns: int, _size: int) -> tuple[int | None, str] | None:
    try:
        source = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read locustfile {path}: {exc}"
    if "," in str(path):
        return None, f"locustfile path {path} contains ',', which Locust's -f reads as a list"
    try:
        ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return exc.lineno, f"{path}:{exc.lineno}: syntax error: {exc.msg}"
    try:
        done = subprocess.run([sys.executable, "-m", PROBE, str(path)],
                              capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"importing locustfile {path} took over {PROBE_TIMEOUT_S} s"
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return None, f"locustfile {path} could not be checked: {' '.join(tail)[:300]}"
    if "error" in answer:
        line = answer.get("line")
        where = f"{path}:{line}" if line else str(path)
        return line, f"{where}: {answer['error']}"
    if not answer["users"]:
        return None, (f"locustfile {path} defines no User class to run "
                      "(e.g. class WebsiteUser(HttpUser))")
    return None
