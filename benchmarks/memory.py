"""Memory: the orchestrator's peak RSS over a long trial, the write log on disk versus in a dict.

    python -m benchmarks.memory                                   # one hour, 1000 writes/s, both
    python -m benchmarks.memory --seconds 120 --log disk          # one side only
    python -m benchmarks.memory --path log --reads-per-write 0    # WriteLog.add only (fast)

No Docker. Each side runs in its own child process (peak RSS cannot be reset in
between), fed the same synthetic stream (seed 1):

- ``--path loop`` (default): the real trial loop (``Trial.read_observations``,
  ``sampler.due``, ``check_detectors``, an error-rate and a latency rule, the
  steady state) reads per-request lines appended to an observation file tick by
  tick (100 ms) on a simulated clock, like ``benchmarks.growth``. Every
  per-request structure of a trial is live (the baseline's before the fault).
  ``--path log``: observations go straight to ``WriteLog.add`` (the writes
  only; what the CI sample runs).
- Writes are ``POST /orders`` with a 36-character UUID ref (random, like
  ``uuid4``; its last 8 hex digits number the write so the fake database below
  can answer), ``--reads-per-write`` reads around each (the sample shop's mix is
  4), 0.1% of writes unanswered (unknown).
- The fault is at mid-trial; a restore then loses the writes acknowledged in
  the 30 s after it. The "database" answers the ``data_loss`` query batch by
  batch through ``chaos.measure.verify.found_in``, the function ``present_refs``
  runs on its psycopg connection, and ``account`` compares.
- ``--log dict`` runs the previous code instead (``DictWriteLog`` and
  ``dict_account`` below, copied from the revision before the log went to disk):
  one query with every ref, the refs found as a ``set``. It leaves out psycopg's
  own copy of that array and of its result, so it flatters the old code.

Peak RSS is ``VmHWM`` from ``/proc/self/status``, read after the stream (the
trial) and after ``account`` (the verification). Output: one JSON line per side,
then a summary with both figures and whether the two results are identical.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, emit
from chaos.measure.dataloss import WriteLog, account
from chaos.measure.observation import Observation
from chaos.measure.verify import REFS_PER_QUERY, found_in

TICK = 0.1
LOSS_S = 30.0
UNKNOWN_EVERY = 1000        # one write in a thousand gets no answer
QUERY = "SELECT client_ref::text FROM orders WHERE client_ref::text = ANY(%(refs)s)"


# ---- the code before the log went to disk (chaos/measure/dataloss.py at cb0d2b6) ----------


@dataclass
class DictWriteLog:
    acked: dict[str, float] = field(default_factory=dict)      # ref -> answer time (trial s)
    unknown: dict[str, float] = field(default_factory=dict)    # ref -> start time (trial s)

    def add(self, obs: Observation, end_t: float, start_t: float) -> None:
        if not obs.write or obs.ref is None:
            return
        if obs.ok:
            self.acked[obs.ref] = end_t
        elif obs.unknown_write:
            self.unknown[obs.ref] = start_t


def dict_account(log: DictWriteLog, present: set[str], t_fault: float | None,
                 sample: int = 20) -> dict[str, Any]:
    lost = sorted((r for r in log.acked if r not in present), key=log.acked.__getitem__)
    unknown_found = sum(1 for r in log.unknown if r in present)
    result: dict[str, Any] = {
        "acknowledged": len(log.acked),
        "lost": len(lost),
        "unknown": len(log.unknown),
        "unknown_found": unknown_found,
        "unknown_missing": len(log.unknown) - unknown_found,
        "lost_sample": lost[:sample],
        "lost_window_s": None,
    }
    if lost:
        result["lost_window_s"] = [round(log.acked[lost[0]], 3), round(log.acked[lost[-1]], 3)]
    result["rpo_s"] = dict_rpo(log, present, t_fault, bool(lost))
    return result


def dict_rpo(log: DictWriteLog, present: set[str], t_fault: float | None,
             any_lost: bool) -> float | None:
    if t_fault is None:
        return None
    if not any_lost:
        return 0.0
    survivors = [t for r, t in log.acked.items() if r in present and t <= t_fault]
    if not survivors:
        return None
    return round(t_fault - max(survivors), 3)


# ---- the synthetic database ---------------------------------------------------------------


class FakeDatabase:
    """Answers the data_loss query like PostgreSQL would: the refs of the batch that
    survived. A write is numbered by its ref's last 8 hex digits."""

    def __init__(self) -> None:
        self.lost_from: int | None = None   # write numbers acknowledged in the loss window
        self.lost_to: int | None = None
        self.queries = 0

    def holds(self, ref: str) -> bool:
        n = int(ref[-8:], 16)
        if self.lost_from is not None and self.lost_from <= n < (self.lost_to or n + 1):
            return False
        # Half the unknown writes landed.
        return n // UNKNOWN_EVERY % 2 == 0 if n % UNKNOWN_EVERY == 7 else True

    def execute(self, query: str, params: dict[str, list[str]]) -> FakeCursor:
        self.queries += 1
        return FakeCursor([(r,) for r in params["refs"] if self.holds(r)])


class FakeCursor:
    description = (("client_ref",),)

    def __init__(self, rows: list[tuple[str]]) -> None:
        self.rows = rows     # a client-side psycopg cursor holds its whole result too

    def __iter__(self) -> Any:
        return iter(self.rows)


# ---- the stream ---------------------------------------------------------------------------


class Stream:
    """Per-request lines for one tick, on the simulated clock; writes numbered in order."""

    def __init__(self, writes_per_s: int, reads_per_write: int, t_fault: float,
                 db: FakeDatabase) -> None:
        self.rng = random.Random(1)
        self.per_tick = writes_per_s * TICK
        self.reads = reads_per_write
        self.t_fault, self.db = t_fault, db
        self.carry = 0.0
        self.n = 0

    def tick(self, t0: float) -> list[tuple[float, float, bool, int, str, str | None]]:
        """(start, end, ok, status, name, ref) for the requests answered in [t0, t0 + TICK)."""
        rng = self.rng
        self.carry += self.per_tick
        count, self.carry = int(self.carry), self.carry - int(self.carry)
        out = []
        for _ in range(count):
            n = self.n
            self.n += 1
            ref = "%032x" % ((rng.getrandbits(96) << 32) | n)
            ref = f"{ref[:8]}-{ref[8:12]}-{ref[12:16]}-{ref[16:20]}-{ref[20:]}"
            end = t0 + rng.random() * TICK
            if end >= self.t_fault and self.db.lost_from is None:
                self.db.lost_from = n
            if end >= self.t_fault + LOSS_S and self.db.lost_to is None:
                self.db.lost_to = n
            ms = rng.uniform(2, 30)
            ok = n % UNKNOWN_EVERY != 7
            out.append((end - ms / 1000, end, ok, 201 if ok else 0, "/orders", ref))
            for _ in range(self.reads):
                end_r = t0 + rng.random() * TICK
                out.append((end_r - 0.005, end_r, True, 200, "/products/[id]", None))
        return out


def as_line(wall0: float, r: tuple[float, float, bool, int, str, str | None]) -> str:
    start, end, ok, status, name, ref = r
    ms = (end - start) * 1000
    extra = f',"ref":"{ref}"' if ref else ""
    return (f'{{"t":{wall0 + start:.6f},"ms":{ms:.3f},"ok":{"true" if ok else "false"},'
            f'"st":{status},"n":"{name}"{extra}}}')


# ---- one side -----------------------------------------------------------------------------


def rss_kib(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field_name} in /proc/self/status")


def child(args: argparse.Namespace) -> dict[str, Any]:
    t_fault = args.seconds / 2
    db = FakeDatabase()
    stream = Stream(args.writes_per_s, args.reads_per_write, t_fault, db)
    with tempfile.TemporaryDirectory() as tmp:
        feed, log, disk_bytes = make_feed(args, Path(tmp), t_fault)
        rss0 = rss_kib("VmRSS")    # everything imported, the trial built: the baseline
        t0 = time.monotonic()
        rss_series = []
        ticks = int(args.seconds / TICK)
        for k in range(ticks):
            feed(k * TICK, stream.tick(k * TICK))
            if (k + 1) % max(1, ticks // 6) == 0:
                rss_series.append(round(rss_kib("VmRSS") / 1024, 1))
        stream_s = time.monotonic() - t0
        peak_trial = rss_kib("VmHWM")
        t1 = time.monotonic()
        result = verify(args.log, log, db, t_fault)
        verify_s = time.monotonic() - t1
        disk = disk_bytes()
    peak = rss_kib("VmHWM")
    acked = result["acknowledged"]
    return {"log": args.log, "path": args.path, "seconds": args.seconds,
            "writes_per_s": args.writes_per_s, "reads_per_write": args.reads_per_write,
            "requests": stream.n * (1 + args.reads_per_write), "acknowledged": acked,
            "lost": result["lost"], "queries": db.queries,
            "rss_at_start_mb": round(rss0 / 1024, 1), "rss_during_mb": rss_series,
            "peak_rss_trial_mb": round(peak_trial / 1024, 1), "peak_rss_mb": round(peak / 1024, 1),
            "bytes_per_write": round((peak - rss0) * 1024 / max(acked, 1), 1),
            "stream_s": round(stream_s, 1), "verify_s": round(verify_s, 1),
            "disk_mb": round(disk / 1e6, 1), "result": result}


def make_feed(args: argparse.Namespace, workdir: Path, t_fault: float) -> tuple[Any, Any, Any]:
    """(feed(t0, requests), the write log, its disk size) for the chosen path and log."""
    log: Any = WriteLog() if args.log == "disk" else DictWriteLog()
    disk_bytes = log.disk_bytes if args.log == "disk" else (lambda: 0)
    if args.path == "log":
        def feed_log(_t0: float, reqs: list[Any]) -> None:
            for start, end, ok, status, name, ref in reqs:
                log.add(Observation(start, end, ok, status, name, ref), end, start)
        return feed_log, log, disk_bytes
    from benchmarks.growth import make_trial
    from chaos.measure.steady import SteadyStateTracker

    trial = make_trial(workdir, None)
    trial.state.writes = log
    trial.state.t_fault = trial.state.steady = None   # before the fault: the baseline fills
    obs = trial.load.obs_file
    wall0 = trial.ctx.clock.wall0
    sink = open(obs, "a", encoding="utf-8")  # noqa: SIM115 (open for the whole stream)

    def feed_loop(t0: float, reqs: list[Any]) -> None:
        sink.write("".join(as_line(wall0, r) + "\n" for r in reqs))
        sink.flush()
        if trial.state.t_fault is None and t0 >= t_fault:
            trial.state.t_fault = t_fault              # what Trial._first_injection does
            trial.state.steady = SteadyStateTracker(0.01, 10.0, since=t_fault)
            for d in trial.detectors:
                d.reset(t_fault)
        trial.read_observations()
        trial.sampler.due(t0 + TICK)
        trial.check_detectors(t0 + TICK)
        if t0 % 60 < TICK:
            sink.truncate(0)   # keep the benchmark's disk use small; the reader's offset
            sink.seek(0)       # is reset with it (what the loop read is gone from memory)
            trial.load._offsets.clear()
    return feed_loop, log, disk_bytes


def verify(kind: str, log: Any, db: FakeDatabase, t_fault: float) -> dict[str, Any]:
    if kind == "disk":
        return account(log, found_in(db, QUERY, log.written_refs(REFS_PER_QUERY)), t_fault)
    refs = list(log.acked) + list(log.unknown)          # the old present_refs, in one query
    rows = db.execute(QUERY, {"refs": refs}).rows
    return dict_account(log, {str(r[0]) for r in rows if r[0] is not None}, t_fault)


# ---- both sides ---------------------------------------------------------------------------


def run_side(argv: list[str], log: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.memory", *argv, "--log", log,
                           "--child"], cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {log} side failed: {done.stderr[-2000:]}")
    row: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=3600, help="trial length (default: an hour)")
    ap.add_argument("--writes-per-s", type=int, default=1000)
    ap.add_argument("--reads-per-write", type=int, default=1)
    ap.add_argument("--path", choices=("loop", "log"), default="loop")
    ap.add_argument("--log", choices=("disk", "dict", "both"), default="both")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        row = child(args)
        print(json.dumps({"bench": "memory", **row}), flush=True)
        return
    argv = ["--seconds", str(args.seconds), "--writes-per-s", str(args.writes_per_s),
            "--reads-per-write", str(args.reads_per_write), "--path", args.path]
    sides = ("disk", "dict") if args.log == "both" else (args.log,)
    rows = {}
    for side in sides:
        rows[side] = run_side(argv, side)
        emit(**rows[side])
    if len(rows) == 2:
        emit(bench="memory", summary={
            "peak_rss_mb": {s: rows[s]["peak_rss_mb"] for s in sides},
            "bytes_per_write": {s: rows[s]["bytes_per_write"] for s in sides},
            "seconds": {s: rows[s]["stream_s"] + rows[s]["verify_s"] for s in sides},
            "identical_results": rows["disk"]["result"] == rows["dict"]["result"]})


if __name__ == "__main__":
    sys.exit(main())
