"""Throughput cost of WAL archiving and of a synchronous replica, against the plain lab.

    python -m benchmarks.recovery_overhead [--rounds 3] [--seconds 40] [--warmup 5]
        [--users 20]

Three variants of the seed incident's lab (``scenarios/half-applied-update.yaml``),
each a `chaos run` of its own:

- ``plain``: the seed's lab as it is;
- ``wal_archive``: ``--set lab.wal_archive=true`` (every WAL segment archived,
  a segment switch forced each second, a base backup as the trial starts);
- ``sync_replica``: ``--set 'lab.replica={synchronous: true}'`` (a hot-standby
  streaming replica; each commit waits until the replica has it).

The same overrides go to all three, so that nothing but the variant differs and
the fault never comes inside the measured window: no periodic ``pg_dump``
(``backups=null``), no recovery (``recovery.trigger=none``, no steps, no
invariants), and the fault at ``--seconds``, which is also the trial's time
limit: the trial ends there, before or as the fault is injected. Each round runs
the three variants once, the order rotated from round to round (P-W-S, W-S-P,
S-P-W). Before measuring, the script waits (polling every 20 s) until no
``benchmarks.recovery_sizes`` is running: the machine has 2 cores.

What is measured comes from the kept per-request stream (``--keep-observations``:
one line per request, its wall-clock start). The window runs from the timeline's
``load_started`` plus ``--warmup`` seconds (Locust's spawn, and the WAL
variant's base backup, stay out) to ``fault_injected`` or ``trial_ended``,
whichever is first; lab start is before ``load_started`` and never in it. In
the window: acknowledged writes per second (successful requests carrying a
write ref), answered requests per second (any HTTP status), and the writes'
median latency. The load is the shop's own locustfile (think time 0.05-0.2 s),
so the app is not saturated: a cost shows first as write latency, and as
throughput only when latency eats into the users' cycle.

The summary gives, per variant, the median over rounds of each figure and the
ratio variant / plain of those medians, plus a Mann-Whitney U p-value
(scipy.stats.mannwhitneyu) of the variant's rounds against plain's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, chaos, emit, spread

SCENARIO = REPO / "scenarios" / "half-applied-update.yaml"
VARIANTS = {
    "plain": [],
    "wal_archive": ["lab.wal_archive=true"],
    "sync_replica": ["lab.replica={synchronous: true}"],
}
BUSY = "benchmarks.recovery_sizes"


def wait_for_quiet_machine(poll_s: float = 20.0) -> None:
    """Block while another benchmark is measuring on this machine."""
    waited = 0.0
    while subprocess.run(["pgrep", "-f", BUSY], capture_output=True).returncode == 0:
        if waited == 0.0:
            emit(bench="recovery_overhead", waiting_for=BUSY)
        time.sleep(poll_s)
        waited += poll_s
    if waited:
        emit(bench="recovery_overhead", waited_s=waited)


def wall(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["wall"]).timestamp()


def one_run(variant: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    sets = [*VARIANTS[variant], "backups=null", "recovery.trigger=none", "recovery.steps=[]",
            "invariants=[]", f"faults[0].at={args.seconds}s", f"time_limit={args.seconds}s",
            f"load.users={args.users}", f"load.spawn_rate={args.users}"]
    argv = ["run", str(SCENARIO), "--out", str(out), "--keep-observations"]
    for s in sets:
        argv += ["--set", s]
    t0 = time.monotonic()
    proc = chaos(*argv, timeout=900)
    took = time.monotonic() - t0
    if not (out / "result.json").exists():
        raise RuntimeError(f"{variant}: no result, exit {proc.returncode}: "
                           f"{proc.stdout[-600:]}{proc.stderr[-800:]}")
    trial = json.loads((out / "result.json").read_text())["trials"][0]
    events = {e["kind"]: e for e in reversed(trial["events"])}   # the first of each kind
    start = wall(events["load_started"]) + args.warmup
    ends = [wall(events[k]) for k in ("fault_injected", "trial_ended") if k in events]
    end = min(ends)
    answered = writes = 0
    write_ms: list[float] = []
    files = sorted(out.glob("trial-1/observations/observations.jsonl"))
    if not files:
        raise RuntimeError(f"{variant}: no per-request stream under {out}/trial-1")
    for path in files:
        with path.open() as f:
            for line in f:
                r = json.loads(line)
                if "ev" in r or not start <= r["t"] < end:   # "ev": a line about a load host
                    continue
                answered += r["st"] != 0
                if r["ok"] and "ref" in r:
                    writes += 1
                    write_ms.append(r["ms"])
    window = end - start
    return {"variant": variant, "window_s": round(window, 2),
            "writes_per_s": round(writes / window, 2),
            "requests_per_s": round(answered / window, 2),
            "write_p50_ms": round(statistics.median(write_ms), 2) if write_ms else None,
            "fault_in_trial": "fault_injected" in events,
            "end": trial["end_reason"], "run_s": round(took, 1)}


def summarise(lines: list[dict[str, Any]]) -> dict[str, Any]:
    from scipy import stats

    figures = ("writes_per_s", "requests_per_s", "write_p50_ms")
    by = {v: [ln for ln in lines if ln["variant"] == v] for v in VARIANTS}
    plain = {f: [ln[f] for ln in by["plain"] if ln[f] is not None] for f in figures}
    out: dict[str, Any] = {}
    for variant, mine in by.items():
        entry: dict[str, Any] = {}
        for f in figures:
            values = [ln[f] for ln in mine if ln[f] is not None]
            entry[f] = spread(values)
            if variant != "plain" and values and plain[f]:
                entry[f"{f}_ratio"] = round(statistics.median(values)
                                            / statistics.median(plain[f]), 3)
                if len(values) > 1 and len(plain[f]) > 1:
                    entry[f"{f}_p"] = round(float(
                        stats.mannwhitneyu(values, plain[f], alternative="two-sided").pvalue), 3)
        out[variant] = entry
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=40,
                    help="load before the fault, which is also the trial's end")
    ap.add_argument("--warmup", type=float, default=5.0,
                    help="seconds after load start left out of the window")
    ap.add_argument("--users", type=int, default=20)
    args = ap.parse_args()
    if args.warmup >= args.seconds:
        ap.error("--warmup must be shorter than --seconds")
    base = Path(tempfile.mkdtemp(prefix="chaos-recovery-overhead-"))
    names = list(VARIANTS)
    lines: list[dict[str, Any]] = []
    for i in range(args.rounds):
        order = names[i % len(names):] + names[:i % len(names)]
        for variant in order:
            wait_for_quiet_machine()
            line = {"round": i + 1, **one_run(variant, args, base / f"{i + 1}-{variant}")}
            emit(bench="recovery_overhead", **line)
            lines.append(line)
    emit(bench="recovery_overhead", summary=summarise(lines), runs=str(base))


if __name__ == "__main__":
    main()
