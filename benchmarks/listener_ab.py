"""Locust's CPU per request with chaos's listener against bare Locust, steady state, on loopback.

    python -m benchmarks.listener_ab --pairs 4 --seconds 15 --users 20

``benchmarks.load_overhead`` charges each run's whole CPU (start-up and shutdown
included) to its requests, against the sample shop, whose answers (not Locust) set the
rate. This one isolates the per-request cost: one Locust process (``--headless``, no
think time) saturating a small threaded HTTP server on 127.0.0.1 (the one of
``benchmarks.remote_load``, a child process here), bare (``-f hit.py``) or as chaos runs
it (``-f hit.py,<chaos's channel files>`` from ``LoadRunner``, its stream written),
alternating A-B, B-A. The Locust process's CPU (``/proc/<pid>/stat``) is taken over the
steady part of the run (from 3 s after start to 1 s before the end) and divided by the
requests of that window, at the run's rate (Locust's count from ``--json-file`` over
its first-to-last request).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, emit, spread
from benchmarks.listener_profile import free_port
from benchmarks.remote_load import LOCUSTFILE, SERVER, TARGET_PORT, cpu_of_pid, read_json_stats
from chaos.load.runner import LoadRunner, LoadSettings


def run(how: str, n: int, url: str, args: argparse.Namespace, tmp: Path) -> dict:
    work = tmp / f"{n:02d}-{how}"
    work.mkdir()
    hit = work / "hit.py"
    hit.write_text(LOCUSTFILE.format(wait=0.0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAOS_")}
    files = str(hit)
    if how == "chaos":
        runner = LoadRunner(url, LoadSettings(locustfile=str(hit)), work)
        files = runner.locustfiles()
        env["CHAOS_OBS_FILE"] = str(runner.obs_file)
    prefix = work / "locust"
    argv = [sys.executable, "-m", "locust", "-f", files, "--headless", "-u", str(args.users),
            "-r", str(args.users), "-t", f"{args.seconds}s", "--host", url,
            "--json-file", str(prefix), "--only-summary", "--loglevel", "WARNING",
            "--stop-timeout", "2"]
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    samples = []
    while proc.poll() is None:
        cpu = cpu_of_pid(proc.pid)
        if cpu is not None:
            samples.append((time.monotonic() - t0, cpu))
        time.sleep(0.25)
    stats = read_json_stats(prefix)
    # Locust's clock starts after its imports (~1 s): the window is generous on both ends.
    window = [s for s in samples if 3.0 <= s[0] <= args.seconds - 1.0]
    (a_t, a_cpu), (b_t, b_cpu) = window[0], window[-1]
    stats["cpu_us_per_request"] = round((b_cpu - a_cpu) / (b_t - a_t) / stats["rps"] * 1e6, 1)
    stats["core_share"] = round((b_cpu - a_cpu) / (b_t - a_t), 3)
    if how == "chaos":
        lines = sum(1 for line in runner.obs_file.open() if '"ev":' not in line)
        stats["stream_exact"] = lines == stats["requests"]
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--users", type=int, default=20)
    args = ap.parse_args()
    port = free_port()
    code = SERVER.replace(f'("0.0.0.0", {TARGET_PORT})', f'("127.0.0.1", {port})')
    server = subprocess.Popen([sys.executable, "-c", code])
    url = f"http://127.0.0.1:{port}"
    runs: dict[str, list[dict]] = {"bare": [], "chaos": []}
    try:
        with tempfile.TemporaryDirectory(prefix="chaos-listener-ab-") as tmp:
            time.sleep(0.5)
            n = 0
            for i in range(args.pairs):
                for how in (["bare", "chaos"] if i % 2 == 0 else ["chaos", "bare"]):
                    n += 1
                    r = run(how, n, url, args, Path(tmp))
                    runs[how].append(r)
                    emit(bench="listener_ab", pair=i + 1, how=how, **r)
    finally:
        server.terminate()
        server.wait()
    cpu = {how: [r["cpu_us_per_request"] for r in rs] for how, rs in runs.items()}
    emit(bench="listener_ab", summary={
        "cpu_us_per_request": {how: spread(v) for how, v in cpu.items()},
        "cpu_ratio": round(statistics.median(cpu["chaos"]) / statistics.median(cpu["bare"]), 3),
        "pair_cpu_ratio": spread([c / b for b, c in zip(cpu["bare"], cpu["chaos"], strict=True)]),
        "rps": {how: spread([r["rps"] for r in rs]) for how, rs in runs.items()},
        "stream_exact": all(r["stream_exact"] for r in runs["chaos"])})


if __name__ == "__main__":
    main()
