"""``failover``: promote the streaming replica and point the database's name at it.

    lab:
      replica: {synchronous: false}   # or true; `replica: true` is asynchronous
    recovery:
      steps:
        - failover:                   # or {timeout: 60s}

Four phases, each a ``failover_phase`` event on the timeline: ``fence`` (the
old primary is killed and taken off its networks: it can never take a write
again, even if something restarts it), ``promote`` (``pg_promote()`` on the
replica), ``move_alias`` (the db service's name now resolves to the replica, so
the app's connection string is unchanged) and ``reconnect`` (until the app
answers ``lab.health_path``). A replica replays every change the primary
committed, a bad migration's included: failover recovers from losing the
server, not from a bad write; the step's event says whether the replica had
replayed past the fault's first statement.
"""

from __future__ import annotations

from typing import Any

from docker.errors import DockerException

from chaos.errors import LabError, RecoveryError
from chaos.lab.postgres.takeover import fence_primary, move_alias, promote_replica
from chaos.measure.eventkinds import Kind
from chaos.partregistry import steps
from chaos.parts import LabNeeds, Lesson, code
from chaos.recover.base import Step
from chaos.recover.pitr import lsn_diff, wait_answering
from chaos.scenario.base import Strict
from chaos.scenario.duration import Duration


class FailoverParams(Strict):
    timeout: Duration = 60.0
    """How long the promotion, and then the app's reconnection, may each take."""


def fault_lsn(events: list[dict[str, Any]]) -> str | None:
    """The WAL position a data fault recorded just before its first statement."""
    marked = [e for e in events if e.get("kind") == "fault_applied" and e.get("wal_lsn_before")]
    return str(marked[0]["wal_lsn_before"]) if marked else None


def lag_before(events: list[dict[str, Any]], t_fault: float | None) -> dict[str, Any]:
    """How far behind the replica was at the last lag sample before the fault."""
    ok = [e for e in events if e.get("kind") == "replication_lag" and e.get("standbys")
          and (t_fault is None or e["t"] <= t_fault)]
    if not ok:
        return {}
    last = ok[-1]
    return {"lag_bytes_before_fault": last.get("lag_bytes"),
            "replay_lag_s_before_fault": last.get("replay_lag_s"),
            "sync_state": last.get("sync_state")}


@steps.register("failover")
class Failover(Step):
    """Fence the primary, promote the streaming replica, move the database's name to it."""

    Params = FailoverParams

    @classmethod
    def lab_needs(cls, params: Any) -> LabNeeds:
        return LabNeeds(lab_options=frozenset({"replica"}))

    @classmethod
    def describe(cls, event: dict[str, Any]) -> str | None:
        if "promoted_lsn" not in event:
            return None
        text = (f"fenced the old primary, promoted the {event.get('sync_state') or 'streaming'} "
                f"replica (it had replayed up to {code(event.get('replayed_lsn'))}) and moved "
                "the database's name to it")
        if event.get("lag_bytes_before_fault") is not None:
            text += (f"; at the last sample before the fault it was "
                     f"{event['lag_bytes_before_fault']} bytes of WAL behind")
        if event.get("replayed_past_fault"):
            text += (f"; the replica had replayed the fault too (past WAL position "
                     f"{code(event.get('fault_lsn'))}, where the fault's first statement "
                     "began), so it carried the same damage and failover could not undo it")
        return text

    @classmethod
    def lessons(cls, event: dict[str, Any]) -> list[Lesson]:
        if not event.get("replayed_past_fault"):
            return []
        return [("replica-replays-faults",
                 "A streaming replica replays every committed change, a half-applied "
                 "migration's too: failover protects against losing the database server, "
                 "not against a bad write. Keep point-in-time recovery (`restore_pitr`) or "
                 "a backup for that, and make migrations transactional.")]

    def run(self, t_fault: float | None) -> dict[str, Any]:
        ctx = self.ctx
        if ctx.lab is None:
            raise RecoveryError("failover needs a lab")
        phases: dict[str, float] = {}
        timeout = self.params.timeout
        try:
            networks = self._phase(phases, "fence", lambda: fence_primary(ctx.lab))
            lsns = self._phase(phases, "promote", lambda: promote_replica(ctx.lab, timeout))
            self._phase(phases, "move_alias", lambda: move_alias(ctx.lab, networks))
        except (LabError, DockerException) as exc:
            raise RecoveryError(f"failover: {exc}") from exc
        health = ctx.scenario.lab.health_path
        if health:
            self._phase(phases, "reconnect",
                        lambda: wait_answering(ctx.app_url + health, timeout, "failover"))
        events = list(ctx.timeline.events)
        detail: dict[str, Any] = {**lsns, **lag_before(events, t_fault), "networks": networks,
                                  "phases_s": phases}
        before = fault_lsn(events)
        if before is not None and lsns["replayed_lsn"]:
            detail |= {"fault_lsn": before,
                       "replayed_past_fault": lsn_diff(lsns["replayed_lsn"], before) > 0}
        return detail

    def _phase(self, phases: dict[str, float], name: str, work: Any) -> Any:
        t0 = self.ctx.clock.now()
        result = work()
        phases[name] = round(self.ctx.clock.now() - t0, 3)
        self.ctx.timeline.add(Kind.FAILOVER_PHASE, t=t0, step="failover", phase=name,
                              took_s=phases[name])
        return result
