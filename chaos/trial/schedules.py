"""What a trial does on a clock besides faults: per-second samples and backups.

    sampler = Sampler(timeline)
    sampler.add(ok, latency_s)          # every answered request
    sampler.due(now)                    # one timeline sample a second; sampler.last for displays

    backups = BackupSchedule(every_s, ctx)
    backups.due(now)                    # start a pg_dump when one is due (on a worker thread)
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.errors import LabError
from chaos.measure.eventkinds import Kind
from chaos.measure.quantiles import nearest_rank
from chaos.measure.timeline import Timeline
from chaos.trial.context import TrialContext, Worker

SAMPLE_EVERY = 1.0


@dataclass(frozen=True)
class LoadSample:
    """The last second's load, as the terminal and the live page show it."""

    rps: float = 0.0
    error_ratio: float = 0.0


class Sampler:
    def __init__(self, timeline: Timeline, every: float = SAMPLE_EVERY) -> None:
        self.timeline = timeline
        self.every = every
        self.next_t = every
        self.last = LoadSample()
        self._n = self._failed = 0
        self._latencies: list[float] = []

    def add(self, ok: bool, latency_s: float) -> None:
        self._n += 1
        self._failed += not ok
        self._latencies.append(latency_s)

    def due(self, now: float) -> None:
        if now < self.next_t:
            return
        lat = sorted(self._latencies)
        p95 = nearest_rank(lat, 0.95) if lat else None
        self.timeline.sample(t=round(now, 2), requests=self._n, failed=self._failed,
                             p95_ms=round(p95 * 1000, 1) if p95 is not None else None)
        self.last = LoadSample(rps=self._n / self.every,
                           error_ratio=self._failed / self._n if self._n else 0.0)
        self._n = self._failed = 0
        self._latencies = []
        self.next_t = now + self.every


class BackupSchedule:
    """``pg_dump`` every ``every`` seconds from the trial's start; an overdue dump is
    skipped while the previous one still runs, as cron with an overlap guard would."""

    def __init__(self, every: float | None, ctx: TrialContext) -> None:
        self.every = every
        self.ctx = ctx
        self.next_t: float | None = 0.0 if every else None
        self.thread: Worker | None = None
        self.taken = 0

    def due(self, now: float) -> None:
        if self.next_t is None or now < self.next_t or self.every is None:
            return
        if self.thread is not None and self.thread.is_alive():
            return
        self.taken += 1
        number, ctx = self.taken, self.ctx

        def take() -> None:
            if ctx.backups is None:   # a trial built without a lab (tests, benchmarks)
                raise LabError("backups need a lab")
            b = ctx.backups.take(number, ctx.clock)
            ctx.timeline.add(Kind.BACKUP_TAKEN, t=b.done_t, number=number,
                             snapshot_t=round(b.started_t, 3),
                             took_s=round(b.done_t - b.started_t, 3), bytes=b.bytes)

        self.thread = Worker(f"backup-{number}", take)
        self.thread.start()
        self.next_t = now + self.every

    def join(self, timeout: float = 60) -> None:
        if self.thread is not None:
            self.thread.join(timeout=timeout)
