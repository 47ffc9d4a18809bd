"""The listener's share of a Locust process's time, under cProfile, on loopback.

    python -m benchmarks.listener_profile --seconds 20 --users 20 [--mode worker]

``--mode local``: one Locust process (``python -m cProfile -m locust --headless``), run as
chaos runs it (``-f hit.py,<chaos's channel files>`` from ``LoadRunner``,
``$CHAOS_OBS_FILE`` set). ``--mode worker``: ``LoadRunner`` starts its master
(``RemoteLoad`` on 127.0.0.1, one worker expected) and the profiled process is a plain
``locust -f - --worker`` that fetches the files from it. Either way the load saturates a
small threaded HTTP server on 127.0.0.1 (started here, a child process).
From the profile: the total time of the process, and the time spent in chaos's code —
``listener.record`` (cumulative: the row, ``FileSink.rows``, ``json.dumps``, the write),
the ``Flight`` bookkeeping that wraps each request (``begin``/``end`` and the wrapper's
own time), and the flusher's ``FileSink.flush`` — each also per request and as a share
of the process. cProfile slows Python code, so the shares, not the µs, are the result;
``benchmarks.listener_cost`` gives unprofiled µs of the same pieces.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, emit
from benchmarks.remote_load import LOCUSTFILE, SERVER, TARGET_PORT
from chaos.load.runner import LoadRunner, LoadSettings, RemoteLoad

CHAOS_FUNCS = {     # (file name, function) -> label; cumulative time unless said
    ("listener.py", "record"): "record",
    ("listener.py", "task_failed"): "task_failed",
    ("listener.py", "begin"): "flight_begin",
    ("listener.py", "send"): "flight_wrapper_own",      # tottime: the wrapper itself
    ("obschannel.py", "flush"): "flush",                # LocalSink's file, WorkerSide's batch
    ("obschannel.py", "rows"): "rows",
    ("obschannel.py", "on_ping"): "on_ping",
}
OURS = ("record", "task_failed", "flight_begin", "flight_wrapper_own", "flush", "on_ping")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def profile(args: argparse.Namespace, url: str, work: Path) -> tuple[Path, int]:
    """Run the profiled Locust process; its profile and Locust's request count."""
    hit = work / "hit.py"
    hit.write_text(LOCUSTFILE.format(wait=0.0))
    prof = work / "locust.prof"
    prefix = work / "locust"
    headless = ["--headless", "-u", str(args.users), "-r", str(args.users),
                "-t", f"{args.seconds}s", "--only-summary", "--loglevel", "WARNING",
                "--stop-timeout", "2"]
    cprofile = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "locust"]
    if args.mode == "local":
        runner = LoadRunner(url, LoadSettings(locustfile=str(hit)), work)
        argv = [*cprofile, "-f", runner.locustfiles(), *headless, "--host", url,
                "--json-file", str(prefix)]
        subprocess.run(argv, cwd=REPO, env={**_env(), "CHAOS_OBS_FILE": str(runner.obs_file)},
                       capture_output=True, text=True, timeout=args.seconds + 120)
    else:
        port = free_port()
        (work / "locust.conf").write_text(f"json-file = {prefix}\n")
        runner = LoadRunner(url, LoadSettings(
            locustfile=str(hit), users=args.users, spawn_rate=args.users,
            run_time_s=args.seconds, remote=RemoteLoad(port=port, count=1)), work)
        cwd = os.getcwd()
        os.chdir(work)
        try:
            runner.start()
        finally:
            os.chdir(cwd)
        wdir = work / "worker"
        wdir.mkdir()
        try:
            subprocess.run([*cprofile, "-f", "-", "--worker", "--master-host", "127.0.0.1",
                            "--master-port", str(port)], cwd=wdir, env=_env(),
                           capture_output=True, text=True, timeout=args.seconds + 120)
        finally:
            runner.stop()
    if not prof.exists() or not Path(f"{prefix}.json").exists():
        sys.exit("no profile or no stats from the Locust run")
    requests = sum(e["num_requests"] for e in json.loads(Path(f"{prefix}.json").read_text()))
    return prof, requests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--mode", choices=("local", "worker"), default="local")
    args = ap.parse_args()
    port = free_port()
    code = SERVER.replace(f'("0.0.0.0", {TARGET_PORT})', f'("127.0.0.1", {port})')
    server = subprocess.Popen([sys.executable, "-c", code])
    try:
        with tempfile.TemporaryDirectory(prefix="chaos-listener-profile-") as tmp:
            time.sleep(0.5)
            prof, requests = profile(args, f"http://127.0.0.1:{port}", Path(tmp))
            stats = pstats.Stats(str(prof))
    finally:
        server.terminate()
        server.wait()
    total = stats.total_tt        # type: ignore[attr-defined]
    found: dict[str, float] = {}
    table = stats.stats  # type: ignore[attr-defined]
    for (path, _line, func), (_cc, _nc, tt, ct, _callers) in table.items():
        label = CHAOS_FUNCS.get((Path(path).name, func))
        if label:
            found[label] = found.get(label, 0.0) + (tt if label.endswith("_own") else ct)
    ours = sum(found.get(k, 0.0) for k in OURS)
    top = sorted(table.items(), key=lambda kv: -kv[1][2])[:12]
    emit(bench="listener_profile", mode=args.mode, seconds=args.seconds, users=args.users,
         requests=requests, profiled_total_s=round(total, 3),
         profiled_us_per_request=round(total / requests * 1e6, 1),
         chaos_us_per_request={k: round(v / requests * 1e6, 2) for k, v in found.items()},
         chaos_share=round(ours / total, 4),
         top_tottime=[{"fn": f"{Path(p).name}:{fn}", "share": round(v[2] / total, 4)}
                      for (p, _l, fn), v in top])


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CHAOS_")}


if __name__ == "__main__":
    main()
