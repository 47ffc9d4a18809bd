"""The load generator's processes: recorded when they start, signalled at teardown only
when proven to be the very processes this lab started.

    env = {**os.environ, **load_env(lab.id)}        # given to every Locust process
    record_load_pids(lab.state_dir, lab.id, pids)   # pid + start time + boot, in load.json
    notes = stop_orphan_load(lab.state_dir, lab.id) # at teardown; notes say what was spared

Why: the orchestrator that started Locust may be dead (SIGKILL) when `chaos lab down
ID` or `--stale` runs from another process, or alive but long done with Locust (it
reaped it, so the pid is free again). Either way a recorded pid may now name another
process: an unrelated one, or another lab's Locust (parallel labs are a documented
use). The word "locust" in its command line, our old guard, proves nothing then.

The proof, re-read from /proc after a pidfd is opened on the pid (all must hold):

- the same boot (``/proc/sys/kernel/random/boot_id``): start times count from boot;
- the same start time (field 22 of ``/proc/PID/stat``, clock ticks after boot): a
  reused pid belongs to a process started later;
- a session leader (field 6 == pid): we start Locust with ``start_new_session``;
- its environment names this lab (``CHAOS_LOAD_LAB=<id>``, set when we start it): a
  state file naming another lab's Locust, even with that Locust's start time, names
  a process that is not this lab's.

The signal then goes through the pidfd, to the process group (Linux 6.9+; the process
alone before): if the process died between the proof and the signal, the pidfd still
names it and the signal goes nowhere, never to whoever got its pid. A state file
without start times (chaos before issue #28) proves nothing: it is left alone, and
its Locust stops itself at its ``-t`` bound.
"""

from __future__ import annotations

import errno
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from chaos.atomic import write_json
from chaos.errors import ChaosError

LOAD_PROCS = "load.json"
OLD_LOAD_PIDS = "load.pids"     # pids alone, written by chaos before issue #28
LOAD_ENV = "CHAOS_LOAD_LAB"
FORMAT = 2
PIDFD_SIGNAL_PROCESS_GROUP = 1 << 2     # linux/pidfd.h; Python 3.11 does not name it


def load_env(lab_id: str) -> dict[str, str]:
    """What a Locust process of this lab carries in its environment (part of the proof)."""
    return {LOAD_ENV: lab_id}


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


@dataclass(frozen=True)
class ProcStat:
    state: str          # field 3: R, S, Z (zombie), ...
    session: int        # field 6
    start: int          # field 22: clock ticks after boot


def proc_stat(pid: int) -> ProcStat | None:
    """The fields of ``/proc/PID/stat`` the proof needs; None if no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2 is the command name in parentheses and may itself hold ") (": the
    # fields that follow start after the *last* ")".
    rest = text[text.rfind(")") + 2:].split()
    try:
        return ProcStat(state=rest[0], session=int(rest[3]), start=int(rest[19]))
    except (IndexError, ValueError):
        return None


def _lab_of(pid: int) -> str | None:
    """The lab id a process carries in its environment; None if none or unreadable."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None     # another user's process: not ours either
    prefix = f"{LOAD_ENV}=".encode()
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix):].decode(errors="replace")
    return None


def record_load_pids(state_dir: Path, lab_id: str, pids: list[int]) -> None:
    """Remember the load generator's processes with what proves them ours later, so that
    tearing the lab down stops them even when the orchestrator was SIGKILLed."""
    procs = []
    for pid in pids:
        st = proc_stat(pid)
        if st is not None and st.state != "Z":
            procs.append({"pid": pid, "start": st.start})
    try:
        write_json(state_dir / LOAD_PROCS,
                   {"format": FORMAT, "lab": lab_id, "boot": boot_id(), "procs": procs})
    except (ChaosError, OSError):
        pass  # only a convenience for after a SIGKILL; Locust still stops at its -t bound


def refusal(pid: int, start: int, lab_id: str, boot: str) -> str | None:
    """Why ``pid`` is not provably the Locust this lab recorded; None when it is.
    "" when there is nothing to signal (gone, or a zombie)."""
    st = proc_stat(pid)
    if st is None or st.state == "Z":
        return ""
    if not boot or boot != boot_id():
        return "recorded before the machine last booted"
    if st.start != start:
        return "started after the one recorded (the pid was reused)"
    if st.session != pid:
        return "not the session leader we started"
    owner = _lab_of(pid)
    if owner != lab_id:
        return f"a process of lab {owner}" if owner else "not a load process of any lab"
    return None


def stop_orphan_load(state_dir: Path, lab_id: str) -> list[str]:
    """SIGTERM to every recorded load process still proven this lab's; the notes say
    which recorded pids were left alone, and why."""
    notes = []
    old = state_dir / OLD_LOAD_PIDS
    if old.exists() or old.is_symlink():
        pids = " ".join((_read_small(old) or "").split()[:8]) or "none"
        notes.append(f"lab {lab_id}: {old} was written by an older chaos: pids without start "
                     f"times prove nothing (a pid may now be any process), so none was "
                     f"signalled (pids: {pids}); a Locust left over stops at its -t bound")
    path = state_dir / LOAD_PROCS
    if not (path.exists() or path.is_symlink()):
        return notes
    try:
        data = json.loads(_read_small(path) or "")
        boot, procs = str(data["boot"]), [(int(p["pid"]), int(p["start"])) for p in data["procs"]]
    except (ValueError, TypeError, KeyError) as exc:
        return [*notes, f"lab {lab_id}: {path} is damaged or unreadable ({exc!r}): "
                        "no load process signalled"]
    for pid, start in procs:
        why = _terminate(pid, start, lab_id, boot)
        if why:
            notes.append(f"lab {lab_id}: recorded load pid {pid} left alone: {why}")
    return notes


def _read_small(path: Path) -> str | None:
    """A regular file's first 64 kB; None for anything else (a FIFO would block)."""
    try:
        if not path.is_file():
            return None
        with open(path, "rb") as f:
            return f.read(1 << 16).decode(errors="replace")
    except OSError:
        return None


def _terminate(pid: int, start: int, lab_id: str, boot: str) -> str:
    """SIGTERM to ``pid`` if proven; what stopped us otherwise ("" for nothing to say)."""
    if pid <= 1:        # os.kill(0 or -1) would reach our own group or every process
        return "not a process id"
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return ""
    except (AttributeError, OSError) as exc:   # no pidfd (not Linux 5.3+): no race-free signal
        return f"cannot hold the process to signal it safely ({exc})"
    try:
        why = refusal(pid, start, lab_id, boot)   # after the open: proves what fd holds
        if why is not None:
            return why
        try:
            signal.pidfd_send_signal(fd, signal.SIGTERM, None, PIDFD_SIGNAL_PROCESS_GROUP)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            signal.pidfd_send_signal(fd, signal.SIGTERM)   # a kernel before 6.9
    except ProcessLookupError:
        pass    # it ended after the open: the pidfd kept the signal from its successor
    except PermissionError as exc:
        return f"not ours to signal ({exc})"
    finally:
        os.close(fd)
    return ""
