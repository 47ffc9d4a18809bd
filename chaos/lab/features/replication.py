"""A streaming replica of the database (``lab.replica``), for ``failover``.

The override adds the replica service (``chaos.lab.postgres.replica``); after
``compose up`` it is cloned and, when synchronous, the primary waits for it;
during each trial its lag is sampled on the primary once a second; between
trials, after a failover, the db service is made the primary again and the
replica cloned afresh (``chaos.lab.postgres.takeover``).

Each ``replication_lag`` event carries what ``pg_stat_replication`` says on
whichever server is the primary now: ``standbys`` (how many stream),
``lag_bytes`` (WAL the primary has written that the replica has not replayed),
``replay_lag_s`` and ``sync_state``. When the primary cannot be asked (killed,
paused, fenced) the sample is recorded with its ``error``, never raised: the
gap is part of the story.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import psycopg

from chaos.lab.feature import LabFeature, LabHandle, OverrideDoc, TrialTools, lab_feature
from chaos.lab.postgres.replica import replica_override, setup_replica
from chaos.lab.postgres.takeover import restore_topology
from chaos.measure.eventkinds import Kind
from chaos.parts import LabNeeds
from chaos.scenario import Scenario
from chaos.scenario.base import Strict
from chaos.scenario.laboptions import LabOption

EVERY = 1.0
QUERY = ("SELECT sync_state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
         "EXTRACT(EPOCH FROM replay_lag)::float8 FROM pg_stat_replication "
         "ORDER BY application_name")


class ReplicaSection(Strict):
    """``lab.replica``: a streaming replica of the db, for ``failover`` (docs/scenarios.md)."""

    synchronous: bool = False
    """Commits wait until the replica has them (the primary's ``synchronous_standby_names``)."""


@lab_feature
@dataclass(frozen=True)
class Replica(LabFeature):
    name: ClassVar[str] = "replica"
    option: ClassVar[LabOption | None] = LabOption(
        "replica", ReplicaSection, what="a streaming replica", server_options=True,
        how="'replica: true' (or 'replica: {synchronous: true}')")
    synchronous: bool = False

    @classmethod
    def from_scenario(cls, scenario: Scenario, needs: LabNeeds) -> Replica | None:
        replica = scenario.lab.option(ReplicaSection)
        return cls(synchronous=replica.synchronous) if replica else None

    def override(self, o: OverrideDoc) -> None:
        replica_override(o.doc, o.base, o.spec, o.tags)

    def started(self, lab: LabHandle) -> None:
        # Before the wait for health: the replica waits for the primary's pg_hba.
        setup_replica(lab, self.synchronous)

    def trial_worker(self, lab: LabHandle, trial: TrialTools) -> LagSampler:
        return LagSampler(trial)

    def between_trials(self, lab: LabHandle) -> str | None:
        if not lab.primary:
            return None
        return (f"lab {lab.id}: failed over; the primary back and a fresh replica in "
                f"{restore_topology(lab, self.synchronous):.1f} s")


def lag_sample(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The event fields for one ``QUERY`` result (the first standby's figures)."""
    if not rows:
        return {"standbys": 0}
    state, lag_bytes, replay_lag = rows[0]
    return {"standbys": len(rows), "sync_state": state,
            "lag_bytes": None if lag_bytes is None else int(lag_bytes),
            "replay_lag_s": None if replay_lag is None else round(float(replay_lag), 4)}


class LagSampler:
    def __init__(self, trial: TrialTools, every: float = EVERY) -> None:
        self.trial, self.every = trial, every
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="replica-lag", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self.thread.join(timeout=timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        tl, clock = self.trial.timeline, self.trial.clock
        t = clock.now()
        try:
            with psycopg.connect(self.trial.db_dsn(), connect_timeout=1, autocommit=True,
                                 options="-c statement_timeout=1000") as conn:
                rows = conn.execute(QUERY).fetchall()
        except Exception as exc:   # a primary that cannot answer is a sample, not a crash
            tl.add(Kind.REPLICATION_LAG, t=round(t, 3),
                   error=f"{type(exc).__name__}: {str(exc).strip()[:200]}")
            return
        tl.add(Kind.REPLICATION_LAG, t=round(t, 3), **lag_sample(rows))
