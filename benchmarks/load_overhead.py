"""Load-driver overhead: `chaos run` versus bare `locust --headless`, alternating.

    python -m benchmarks.load_overhead --pairs 2 --seconds 60 --users 20 --wait 0

Both use chaos's own locustfile (so both write the per-request lines; that
cost is the listener's, measured in FIELD-NOTES) and the same user count,
against the default app. Bare Locust hits a lab started once with `chaos lab
up`; `chaos run` starts its own lab (identical compose file) and runs a trial
whose only fault comes after the measured window. Throughput and latency come
from the request lines answered between 5 s after load start and 5 s before
its end, for both. The orchestrator's own CPU (its process only, not Locust's)
is measured from `load_started` to `trial_ended`; its peak RSS is VmHWM.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

from benchmarks.common import CHAOS, REPO, chaos, emit, spread

LOCUSTFILE = REPO / "chaos" / "load" / "locustfile.py"


def rate_and_latency(obs_dir: Path, margin: float = 5.0) -> dict:
    rows = []
    for path in obs_dir.glob("obs-*.jsonl"):
        for line in path.read_text().splitlines():
            d = json.loads(line)
            rows.append((d["t"] + d["ms"] / 1000, d["ms"], d["ok"]))
    rows.sort()
    lo, hi = rows[0][0] + margin, rows[-1][0] - margin
    mid = [r for r in rows if lo <= r[0] <= hi]
    lat = sorted(r[1] for r in mid)
    return {"rps": round(len(mid) / (hi - lo), 1), "p50_ms": round(lat[len(lat) // 2], 2),
            "p95_ms": round(lat[int(len(lat) * 0.95)], 2),
            "failed": sum(1 for r in mid if not r[2])}


def bare(url: str, users: int, wait: float, seconds: int, tmp: Path) -> dict:
    obs = tmp / f"bare-{time.monotonic_ns()}"
    obs.mkdir()
    env = dict(os.environ, CHAOS_OBS_DIR=str(obs), CHAOS_WAIT_MIN=str(wait), CHAOS_WAIT_MAX=str(wait))
    subprocess.run([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u",
                    str(users), "-r", str(users), "-t", f"{seconds}s", "--host", url,
                    "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "2"],
                   env=env, capture_output=True, timeout=seconds + 120, cwd=REPO)
    return rate_and_latency(obs)


def scenario(users: int, wait: float, seconds: int) -> dict:
    return {"name": "load overhead", "lab": {"compose": str(REPO / "compose/docker-compose.yml")},
            "load": {"users": users, "spawn_rate": users, "wait": f"{wait}s"},
            "faults": [{"type": "pause", "target": "db", "at": f"{seconds}s", "duration": "1s"}],
            "recovery": {"trigger": "none"},
            "steady_state": {"error_rate": {"below": "1%", "for": "1s"}},
            "time_limit": f"{seconds + 3}s"}


def with_chaos(users: int, wait: float, seconds: int, tmp: Path) -> dict:
    path = tmp / "overhead.yaml"
    path.write_text(yaml.safe_dump(scenario(users, wait, seconds)))
    out = tmp / f"run-{time.monotonic_ns()}"
    proc = subprocess.Popen([*CHAOS, "run", str(path), "--out", str(out), "--keep-observations"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ps = psutil.Process(proc.pid)
    marks: dict[str, tuple[float, float]] = {}
    peak = {"rss": 0}

    def sample() -> None:
        while proc.poll() is None:
            try:
                peak["rss"] = max(peak["rss"], ps.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    hwm = 0
    for line in proc.stdout:
        for kind in ("load_started", "trial_ended"):
            if re.search(rf"\] {kind}\b", line):
                cpu = ps.cpu_times()
                marks[kind] = (time.monotonic(), cpu.user + cpu.system)
                hwm = int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{proc.pid}/status").read_text())[1])
    proc.wait()
    (t0, c0), (t1, c1) = marks["load_started"], marks["trial_ended"]
    return {**rate_and_latency(out / "trial-1" / "observations"),
            "orchestrator_core_share": round((c1 - c0) / (t1 - t0), 4),
            "orchestrator_peak_rss_mb": round(max(hwm * 1024, peak["rss"]) / 1e6, 1),
            "trial_s": round(t1 - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--wait", type=float, default=0.0, help="think time, s (0 saturates)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="chaos-overhead-"))
    up = chaos("lab", "up")
    if up.returncode != 0:
        sys.exit(up.stderr)
    url = re.search(r"app: (\S+)", up.stdout)[1]
    lab_id = re.search(r"chaos lab down (\S+)", up.stdout)[1]
    results: dict[str, list[dict]] = {"bare": [], "chaos": []}
    try:
        for i in range(args.pairs):
            order = ["bare", "chaos"] if i % 2 == 0 else ["chaos", "bare"]
            for who in order:
                r = (bare(url, args.users, args.wait, args.seconds, tmp) if who == "bare"
                     else with_chaos(args.users, args.wait, args.seconds, tmp))
                results[who].append(r)
                emit(bench="load_overhead", pair=i + 1, driver=who, **r)
    finally:
        chaos("lab", "down", lab_id)
    ratio = [c["rps"] / b["rps"] for b, c in zip(results["bare"], results["chaos"])]
    emit(bench="load_overhead", summary={
        "throughput_ratio": spread(ratio),
        "bare_rps": spread([r["rps"] for r in results["bare"]]),
        "chaos_rps": spread([r["rps"] for r in results["chaos"]]),
        "bare_p50_ms": spread([r["p50_ms"] for r in results["bare"]]),
        "chaos_p50_ms": spread([r["p50_ms"] for r in results["chaos"]]),
        "orchestrator_core_share": spread([r["orchestrator_core_share"] for r in results["chaos"]]),
        "orchestrator_peak_rss_mb": spread([r["orchestrator_peak_rss_mb"] for r in results["chaos"]]),
    })


if __name__ == "__main__":
    main()
