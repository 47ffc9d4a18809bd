"""Reading a file a user named: a regular file of bounded size, UTF-8 text, or a clear no.

A scenario names files (itself, its compose file, SQL scripts, a locustfile); a
careless or hostile one can name a FIFO (``open`` blocks forever), ``/dev/zero``
(never ends), a directory, a symlink loop, or a 23 MB file. ``read_text`` checks
the kind and size before reading and reads at most ``max_bytes`` + 1, so none of
those hang or exhaust anything; each becomes a ``BadFile`` whose message says
what the file is, for the caller to report with its file, line and field.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class BadFile(Exception):
    """Why a named file cannot be used; ``line`` when the problem is at one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


LOOP = "symlink loop: the link never reaches a file"


def resolve(path: Path) -> Path:
    """``path`` made absolute through its links; a loop or an unusable name is a ``BadFile``."""
    try:
        return path.resolve()
    except RuntimeError:    # Python < 3.13 reports a symlink loop this way
        raise BadFile(LOOP) from None
    except (OSError, ValueError) as exc:   # a name too long, a NUL byte
        raise BadFile(f"cannot use this path: {exc}") from None


def project_root(scenario_dir: Path) -> Path:
    """The scenario's project: the nearest directory, from the scenario's own upward,
    holding ``.git`` (a checkout, as CI runs it); outside any, the directory above the
    scenario's, so the usual layout (``scenarios/`` beside ``compose/``) is one project."""
    for d in (scenario_dir, *scenario_dir.parents):
        if (d / ".git").exists():
            return d
    return scenario_dir.parent


OPT_IN = "--allow-outside-files (or CHAOS_ALLOW_OUTSIDE_FILES=1)"


def check_inside(path: Path, roots: tuple[Path, ...] | None) -> None:
    """``path`` (resolved, links followed) lies under one of ``roots``, or ``BadFile``.
    ``roots`` None: no boundary (the user opted in)."""
    if roots is None or any(path == r or r in path.parents for r in roots):
        return
    raise BadFile(f"{path} is outside the scenario's project ({roots[0]}): a scenario may "
                  f"make chaos read only files under it; pass {OPT_IN} to allow this one")


def read_bytes(path: Path, max_bytes: int, what: str = "file") -> bytes:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise BadFile("file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BadFile(LOOP) from None
        raise BadFile(f"cannot read file: {exc.strerror or exc}") from None
    except ValueError as exc:       # a NUL byte in the name
        raise BadFile(f"cannot read file: {exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadFile(f"is {_kind(st.st_mode)}, not a {what}")
    if st.st_size > max_bytes:
        raise BadFile(f"file is too large ({st.st_size} bytes; at most {max_bytes})")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise BadFile(f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:        # it grew between stat and read
        raise BadFile(f"file is too large (over {max_bytes} bytes)")
    return raw


def read_text(path: Path, max_bytes: int, what: str = "file") -> str:
    """The file's text: regular, at most ``max_bytes``, no NUL, UTF-8 (``BadFile`` if not)."""
    raw = read_bytes(path, max_bytes, what)
    if b"\x00" in raw:
        raise BadFile("binary file, not text", raw[: raw.index(b"\x00")].count(b"\n") + 1)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadFile(f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", line) from None
