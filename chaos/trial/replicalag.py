"""With ``lab.replica``: the replica's lag, sampled on the primary once a second.

    lag = ReplicaLagSampler(ctx)
    lag.start()     # a worker thread: one replication_lag event a second
    lag.stop()

Each event carries what ``pg_stat_replication`` says on whichever server is the
primary now (``ctx.db_dsn`` follows a failover): ``standbys`` (how many stream),
``lag_bytes`` (WAL the primary has written that the replica has not replayed),
``replay_lag_s`` and ``sync_state``. When the primary cannot be asked (killed,
paused, fenced) the sample is recorded with its ``error``, never raised: the
gap is part of the story.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from chaos.measure.eventkinds import Kind
from chaos.trial.context import TrialContext

EVERY = 1.0
QUERY = ("SELECT sync_state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
         "EXTRACT(EPOCH FROM replay_lag)::float8 FROM pg_stat_replication "
         "ORDER BY application_name")


def lag_sample(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The event fields for one ``QUERY`` result (the first standby's figures)."""
    if not rows:
        return {"standbys": 0}
    state, lag_bytes, replay_lag = rows[0]
    return {"standbys": len(rows), "sync_state": state,
            "lag_bytes": None if lag_bytes is None else int(lag_bytes),
            "replay_lag_s": None if replay_lag is None else round(float(replay_lag), 4)}


class ReplicaLagSampler:
    def __init__(self, ctx: TrialContext, every: float = EVERY) -> None:
        self.ctx, self.every = ctx, every
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        lab = self.ctx.lab
        if lab is None or lab.spec.replica_sync is None:
            return
        self.thread = threading.Thread(target=self._loop, name="replica-lag", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        tl, clock = self.ctx.timeline, self.ctx.clock
        t = clock.now()
        try:
            with psycopg.connect(self.ctx.db_dsn, connect_timeout=1, autocommit=True,
                                 options="-c statement_timeout=1000") as conn:
                rows = conn.execute(QUERY).fetchall()
        except Exception as exc:   # a primary that cannot answer is a sample, not a crash
            tl.add(Kind.REPLICATION_LAG, t=round(t, 3),
                   error=f"{type(exc).__name__}: {str(exc).strip()[:200]}")
            return
        tl.add(Kind.REPLICATION_LAG, t=round(t, 3), **lag_sample(rows))
