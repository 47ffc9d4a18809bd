"""``restore_pitr``: point-in-time recovery from the trial's base backup and WAL archive.

    recovery:
      steps:
        - restore_pitr: before_fault        # the default
        - restore_pitr: latest              # replay everything the archive holds
        - restore_pitr: 10s before fault    # a time target

``before_fault`` is the WAL position the fault recorded just before its first
statement (``half_applied_update``, ``corrupt_rows``: ``wal_lsn_before`` on their
``fault_applied`` event), exclusive; for a fault that records none it is the
fault's instant as a time target. The step stops the database, restores the
base backup taken at the trial's start (``lab.wal_archive``), replays the
archive to the target, promotes, and waits for the app to answer
``lab.health_path``; each phase is a ``pitr_phase`` event on the timeline.
"""

from __future__ import annotations

import re
import time
import urllib.request
from typing import Annotated, Any

from pydantic import AfterValidator

from chaos.errors import LabError, RecoveryError
from chaos.lab.postgres.pitrrestore import PitrRestore
from chaos.lab.postgres.walarchive import RESTORE_COMMAND
from chaos.measure.eventkinds import Kind
from chaos.partregistry import steps
from chaos.parts import LabNeeds, code
from chaos.recover.base import Step
from chaos.scenario.base import Strict
from chaos.scenario.duration import format_duration, parse_duration

_BEFORE = re.compile(r"^(?P<d>\S+)\s+before\s+fault$")


def _target(value: str) -> str:
    text = " ".join(value.split())
    if text in ("before_fault", "latest"):
        return text
    found = _BEFORE.match(text)
    if found is None:
        raise ValueError(f"target {value!r}: expected before_fault, latest, or a time such "
                         "as '10s before fault'")
    seconds = parse_duration(found.group("d"))
    if seconds <= 0:
        raise ValueError(f"target {value!r}: the time before the fault must be positive")
    return f"{format_duration(seconds)} before fault"


class RestorePitrParams(Strict):
    target: Annotated[str, AfterValidator(_target)] = "before_fault"


def target_settings(target: str, events: list[dict[str, Any]], t_fault: float,
                    wall_iso: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """The recovery settings for ``target``, and what to record about it."""
    settings = {"restore_command": RESTORE_COMMAND, "recovery_target_action": "promote"}
    if target == "latest":
        return settings, {"target": "latest"}
    if target == "before_fault":
        marked = [e for e in events if e.get("kind") == "fault_applied" and e.get("wal_lsn_before")]
        if marked:
            lsn = marked[0]["wal_lsn_before"]
            settings |= {"recovery_target_lsn": lsn, "recovery_target_inclusive": "off"}
            return settings, {"target": "before_fault", "target_lsn": lsn}
        seconds = 0.0   # no fault recorded a WAL position: its instant, as a time
    else:
        seconds = parse_duration(target.split()[0])
    when = wall_iso(t_fault - seconds)
    settings |= {"recovery_target_time": when, "recovery_target_inclusive": "off"}
    return settings, {"target": target, "target_time": when}


def newest_base_backup(events: list[dict[str, Any]], t_fault: float) -> dict[str, Any] | None:
    done = [e for e in events if e.get("kind") == "base_backup_taken" and e["t"] <= t_fault]
    return done[-1] if done else None


@steps.register("restore_pitr")
class RestorePitr(Step):
    """Point-in-time recovery: base backup + WAL replay to just before the fault (or a target)."""

    Params = RestorePitrParams

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds:
        return LabNeeds(lab_options=frozenset({"wal_archive"}))

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        if "target" not in event:
            return None
        if event.get("target_lsn"):
            where = f"WAL position {code(event['target_lsn'])}, exclusive"
        else:
            where = str(event.get("target_time") or "the archive's end")
        return (f"restored the base backup ({mib(event.get('restored_bytes'))}) and replayed "
                f"{mib(event.get('replayed_bytes'))} of WAL to {where} "
                f"(target {code(event['target'])})")

    def run(self, t_fault: float | None) -> dict[str, Any]:
        if t_fault is None:
            raise RecoveryError("restore_pitr: no fault was injected, so there is no target")
        ctx = self.ctx
        events = list(ctx.timeline.events)
        base = newest_base_backup(events, t_fault)
        if base is None:
            raise RecoveryError("restore_pitr: no base backup was completed before the fault "
                                "(see base_backup events on the timeline)")
        settings, detail = target_settings(self.params.target, events, t_fault,
                                           ctx.clock.wall_iso)
        unreachable = before_base_backup(self.params.target, t_fault, base)
        if unreachable:
            raise RecoveryError(f"restore_pitr to {self.params.target}: {unreachable}")
        phases: dict[str, float] = {}
        pitr = PitrRestore(self.need_lab())
        try:
            self._phase(phases, "stop", pitr.stop)
            self._phase(phases, "restore_base", lambda: pitr.restore_base(settings))
            self._phase(phases, "start", pitr.start)
            lsn = self._phase(phases, "replay", pitr.wait_promoted)
        except LabError as exc:
            raise RecoveryError(f"restore_pitr to {self.params.target}: {exc}") from exc
        health = ctx.scenario.lab.health_path
        if health:
            self._phase(phases, "reconnect", lambda: wait_answering(ctx.app_url + health))
        return {**detail, "base_backup_t": base["t"], "restored_bytes": base.get("bytes"),
                "replayed_bytes": lsn_diff(lsn, base["start_lsn"]), "promoted_lsn": lsn,
                "phases_s": phases}

    def _phase(self, phases: dict[str, float], name: str, work: Any) -> Any:
        t0 = self.ctx.clock.now()
        result = work()
        phases[name] = round(self.ctx.clock.now() - t0, 3)
        self.ctx.timeline.add(Kind.PITR_PHASE, t=t0, step="restore_pitr", phase=name,
                              took_s=phases[name])
        return result


def before_base_backup(target: str, t_fault: float, base: dict[str, Any]) -> str | None:
    """Why a time target cannot be reached from ``base``, or None.

    A restore cannot stop before the base backup's end: PostgreSQL, given such a
    target, silently stops at the first point it can (measured on PostgreSQL 15: it
    promoted at the backup's end with no message), which is not what was asked."""
    if target in ("before_fault", "latest"):
        return None
    when = t_fault - parse_duration(target.split()[0])
    if when >= base["t"]:
        return None
    return (f"the target (t={when:.1f} s on the trial's clock) is before the end of the only "
            f"base backup the archive starts from (t={base['t']:.1f} s); the archive cannot "
            "reach it, and the database was left untouched")


def mib(n: Any) -> str:
    return f"{(n or 0) / 2**20:.1f} MiB"


def lsn_diff(a: str, b: str) -> int:
    """Bytes of WAL between two positions (``X/Y`` hex, as PostgreSQL prints them)."""
    def value(lsn: str) -> int:
        hi, lo = lsn.split("/")
        return (int(hi, 16) << 32) + int(lo, 16)
    return max(0, value(a) - value(b))


def wait_answering(url: str, timeout: float = 120, step: str = "restore_pitr") -> None:
    """Until the app answers ``url`` with 2xx: it has reconnected to the database."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if 200 <= resp.status < 300:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RecoveryError(f"{step}: the app did not answer {url} within {timeout:.0f} s "
                        "after the database was promoted")
