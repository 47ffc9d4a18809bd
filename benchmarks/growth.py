"""Growth: the orchestrator's CPU and memory per request, versus rate and trial length.

    python -m benchmarks.growth --rate 200 --rate 2000 --seconds 60 --seconds 600
    python -m benchmarks.growth --rate 2000 --seconds 60 --rules-from REV   # REV=HEAD: old rules

No Docker: the real trial loop (``Trial.read_observations``, ``sample``,
``check_detectors``, with an error-rate and a latency rule and the steady-state
tracker live) reads synthetic per-request lines that this script appends to an
observation file, tick by tick, on a simulated clock (100 ms ticks, the loop's
own). Only the loop's work is timed (``time.process_time`` around it), so the
CPU figure is the orchestrator's cost per simulated second at that request
rate, whatever else runs on the machine. Memory: tracemalloc of what the loop
keeps, by structure, at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

from benchmarks.common import REPO, emit
from chaos.measure.steady import SteadyStateTracker
from chaos.measure.timeline import Clock, Timeline
from chaos.scenario.model import Scenario
from chaos.trial import Trial, TrialContext

TICK = 0.1
SCENARIO = {
    "name": "growth",
    "lab": {"compose": "unused.yml"},
    "load": {"requests": [{"path": "/"}]},
    "faults": [{"type": "pause", "target": "db", "at": "100000s", "duration": "1s"}],
    "detect": [{"name": "errors", "type": "error_rate", "window": "10s", "above": "5%",
                "for": "5s"},
               {"name": "slow", "type": "latency", "window": "10s", "above": "2s", "for": "5s"}],
    "recovery": {"trigger": "none"},
    "time_limit": "200000s",
}


def rules_module(rev: str | None):
    if rev is None:
        return None
    src = subprocess.run(["git", "show", f"{rev}:chaos/detect/engines.py"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "legacy_engines.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("legacy_engines", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_trial(workdir: Path, legacy) -> Trial:
    sc = Scenario.model_validate(SCENARIO)
    clock = Clock()
    tl = Timeline(clock, workdir / "timeline.jsonl", trial=1)
    ctx = TrialContext(scenario=sc, lab=None, clock=clock, timeline=tl, backups=None,
                       app_url="http://127.0.0.1:9", db_dsn="", workdir=workdir)
    trial = Trial(ctx)
    if legacy is not None:  # the same rules, as an older revision evaluated them
        kinds = {"error_rate": legacy.ErrorRateRule, "latency": legacy.LatencyRule}
        trial.detectors = [kinds[s.type](s.name, s.params, ctx) for s in sc.detect]
    trial.state.t_fault = 0.0
    trial.state.steady = SteadyStateTracker(0.01, 10.0, since=0.0)
    return trial


def lines(rng: random.Random, wall0: float, t0: float, n: int) -> str:
    out = []
    for _ in range(n):
        t = wall0 + t0 + rng.random() * TICK - 0.02
        write = rng.random() < 0.2
        rec = {"t": round(t, 6), "ms": round(rng.uniform(1, 20), 3), "ok": rng.random() > 0.001,
               "st": 201 if write else 200, "n": "POST /items" if write else "GET /items/[id]"}
        if write:
            rec["ref"] = str(uuid.UUID(int=rng.getrandbits(128)))
        out.append(json.dumps(rec, separators=(",", ":")))
    return "\n".join(out) + "\n"


def measure(rate: int, seconds: int, legacy) -> dict:
    """CPU from an untraced pass; memory from a second pass under tracemalloc
    (which slows allocation several times over)."""
    cpu_pass = loop(rate, seconds, legacy, traced=False)
    mem_pass = loop(rate, seconds, legacy, traced=True)
    return {**mem_pass, **{k: cpu_pass[k] for k in ("cpu_s", "core_share", "cpu_us_per_request")}}


def loop(rate: int, seconds: int, legacy, traced: bool) -> dict:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if traced:
            tracemalloc.start()
        trial = make_trial(workdir, legacy)
        obs = trial.load.obs_file
        wall0 = trial.ctx.clock.wall0
        cpu = 0.0
        per_tick = rate * TICK
        carry = 0.0
        with open(obs, "a", encoding="utf-8") as sink:
            for k in range(int(seconds / TICK)):
                now = (k + 1) * TICK
                carry += per_tick
                n, carry = int(carry), carry - int(carry)
                sink.write(lines(rng, wall0, now - TICK, n))
                sink.flush()
                c0 = time.process_time()
                trial.read_observations()
                trial.sampler.due(now)
                trial.check_detectors(now)
                cpu += time.process_time() - c0
        kept = 0
        if traced:
            snapshot = tracemalloc.take_snapshot()
            tracemalloc.stop()
            kept = sum(s.size for s in snapshot.statistics("filename"))
        st = trial.state
        trial.ctx.timeline.close()
        timeline_bytes = (workdir / "timeline.jsonl").stat().st_size
        obs_bytes = obs.stat().st_size
    total = st.counts.total
    return {"rate": rate, "seconds": seconds, "requests": total,
            "rules": "legacy" if legacy else "current",
            "cpu_s": round(cpu, 3), "core_share": round(cpu / seconds, 4),
            "cpu_us_per_request": round(cpu / total * 1e6, 2),
            "traced_mb": round(kept / 1e6, 2), "bytes_per_request": round(kept / total, 1),
            "acked_writes": len(st.writes.as_dicts()[0]),
            "timeline_events": len(trial.ctx.timeline.events),
            "timeline_bytes_per_s": round(timeline_bytes / seconds, 1),
            "observation_bytes_per_request": round(obs_bytes / total, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=int, action="append", help="requests per second (repeatable)")
    ap.add_argument("--seconds", type=int, action="append", help="trial length (repeatable)")
    ap.add_argument("--rules-from", help="evaluate the rules as this git revision did")
    args = ap.parse_args()
    legacy = rules_module(args.rules_from)
    for rate in args.rate or [200, 2000]:
        for seconds in args.seconds or [60, 600]:
            emit(bench="growth", **measure(rate, seconds, legacy))


if __name__ == "__main__":
    sys.exit(main())
