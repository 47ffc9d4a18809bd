"""Mark-to-every-screen latency of the game-day page, and the page server's CPU.

    python -m benchmarks.gameday_latency --participants 50 --marks 200 [--every 0.1] [--idle 20]

The live server runs in its own process (``--serve``), as in ``chaos run``: a real
Trial that is never run (no lab, no load), ticked every 0.1 s like a trial's loop,
with a per-second sample on its timeline. ``--participants`` simulated clients
hold the live stream (``GET /api/stream``), half as responders and half as
observers; one more posts ``--marks`` notes, one every ``--every`` seconds. For each
mark and each client: the instant the client parsed it off its stream minus the
instant the mark was posted (one host, one clock). The server's CPU is its
process's ``utime + stime`` from /proc, divided by wall time: over ``--idle``
seconds with everyone connected and nobody marking (what a game day costs most of
the time), then over the marking window. One JSON line per run, then the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, emit

TICK = os.sysconf("SC_CLK_TCK")
SCENARIO = """\
name: latency bench
lab: {{compose: {compose}}}
load: {{users: 1, requests: [{{path: /health}}]}}
faults:
  - {{type: pause, target: db, at: 1h, duration: 5s}}
recovery: {{trigger: manual, steps: [{{wait: 0.1s}}]}}
time_limit: 2h
"""


def serve(workdir: Path) -> None:
    """The server side: a live page over a never-run trial, ticked like a real one."""
    from chaos.live import open_live
    from chaos.measure.timeline import Clock, Timeline
    from chaos.scenario import load_scenario
    from chaos.trial import Trial, TrialContext

    path = workdir / "bench.yaml"
    path.write_text(SCENARIO.format(compose=REPO / "compose" / "docker-compose.yml"))
    sc = load_scenario(path)
    clock = Clock()
    timeline = Timeline(clock, workdir / "timeline.jsonl", trial=1)
    ctx = TrialContext(scenario=sc, lab=None, clock=clock, timeline=timeline, backups=None,
                       app_url="http://127.0.0.1:9", db_dsn="", workdir=workdir / "trial-1")
    trial = Trial(ctx)
    live = open_live("bench", sc, workdir, lambda line: None)
    live.board.attach(1, trial)
    print(json.dumps({str(r): live.link(r) for r in live.access.tokens}), flush=True)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    next_sample = clock.now() + 1
    while not stop.is_set():   # ends when the benchmark closes our stdin
        now = clock.now()
        if now >= next_sample:
            timeline.sample(t=round(now, 2), requests=150, failed=0, p95_ms=4.0)
            next_sample += 1
        live.board.tick(trial)
        time.sleep(0.1)
    live.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def run(participants: int, marks: int, every: float, idle: float) -> dict[str, Any]:
    from tests.liveclient import Participant  # the tests' client: plain HTTP, SSE parsed

    with tempfile.TemporaryDirectory(prefix="chaos-bench-live-") as tmp:
        env = {**os.environ, "XDG_STATE_HOME": str(Path(tmp) / "state")}
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.gameday_latency", "--serve",
                                 tmp], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, cwd=REPO, env=env)
        try:
            assert proc.stdout is not None and proc.stdin is not None
            links = json.loads(proc.stdout.readline())
            base = links["observer"].split("?", 1)[0]
            token = {role: link.split("key=", 1)[1] for role, link in links.items()}
            roles = ["responder", "observer"]
            clients = [Participant(base, token[roles[i % 2]]) for i in range(participants)]
            streams = [c.listen(timeout=marks * every + 120) for c in clients]
            for s in streams:
                s.__enter__()
            for s in streams:
                s.wait_for(lambda m: m[0] == "state", timeout=30)
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(idle)   # connected, no one marking: the ticks and samples alone
            idle_pct = 100 * (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0)
            poster = Participant(base, token["responder"])
            sent: dict[str, float] = {}
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            for k in range(marks):
                note = f"bench-{k}"
                sent[note] = time.time()
                status, _ = poster.post("/api/mark", {"mark": "note", "note": note,
                                                      "by": "bench"})
                assert status == 200, status
                time.sleep(max(0.0, t0 + (k + 1) * every - time.monotonic()))
            last = f"bench-{marks - 1}"
            for s in streams:
                s.wait_for(lambda m: any(e.get("note") == last
                                         for e in m[1].get("events", [])), timeout=30)
            window = time.monotonic() - t0
            cpu = cpu_seconds(proc.pid) - cpu0
            latencies: list[float] = []
            missing = 0
            for s in streams:
                arrived = {e.get("note"): at for kind, data, at in s.messages
                           for e in data.get("events", []) if e.get("kind") == "mark"}
                for note, t_sent in sent.items():
                    if note in arrived:
                        latencies.append((arrived[note] - t_sent) * 1000)
                    else:
                        missing += 1
            for s in streams:
                s.close()
        finally:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {"participants": participants, "marks": marks, "every_s": every,
            "deliveries": len(latencies), "missing": missing,
            "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1),
            "max_ms": round(latencies[-1], 1), "server_cpu_pct": round(100 * cpu / window, 1),
            "idle_s": idle, "idle_cpu_pct": round(idle_pct, 1),
            "window_s": round(window, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--participants", type=int, default=50)
    ap.add_argument("--marks", type=int, default=200)
    ap.add_argument("--every", type=float, default=0.1, help="seconds between marks")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--idle", type=float, default=20.0,
                    help="seconds connected with no marks first (the server's CPU then)")
    ap.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(Path(args.serve))
        return
    results = [run(args.participants, args.marks, args.every, args.idle)
               for _ in range(args.rounds)]
    for r in results:
        emit(bench="gameday_latency", **r)


if __name__ == "__main__":
    main()
