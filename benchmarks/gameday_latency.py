"""Mark-to-every-screen latency of the game-day page, and the page server's CPU.

    python -m benchmarks.gameday_latency --participants 50 --marks 200 [--every 0.1] [--idle 20]
    python -m benchmarks.gameday_latency --participants 50 --browsers 3 --marks 60 --every 1

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

``--browsers N`` makes N of the participants real headless Chromium pages (Selenium
and Debian's chromedriver, as in ``tests/webdriver.py``), alternately a responder's
and an observer's link, so 50 participants with 3 browsers are 47 stream clients and
3 pages. In each page a MutationObserver on the timeline list (``#events``) stamps,
with ``performance.timeOrigin + performance.now()`` (wall clock, this host's), the
first time a mark's note is in the DOM, and the first animation frame after it (the
frame that paints it). Read back at the end and taken from the instant the mark was
posted, as for the stream clients; reported apart from them, with the browsers' own
CPU (chromedriver's whole process tree).
"""

from __future__ import annotations

import argparse
import contextlib
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


# Installed in each browser once its page is live: which mark note is on screen when.
WATCH_JS = """
const seen = window.benchSeen = {dom: {}, frame: {}};
const list = document.querySelector('#events');
new MutationObserver(() => {
  const now = performance.timeOrigin + performance.now();
  const fresh = [];
  for (const li of list.children) {
    const m = /bench-(\\d+)/.exec(li.textContent);
    if (m && !(m[1] in seen.dom)) { seen.dom[m[1]] = now; fresh.push(m[1]); }
  }
  if (fresh.length) requestAnimationFrame(() => {
    const at = performance.timeOrigin + performance.now();
    for (const k of fresh) seen.frame[k] = at;
  });
}).observe(list, {childList: true});
return true;
"""


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of a process and every descendant alive now (a browser's tree)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += cpu_seconds(pid)
        except (OSError, IndexError):
            continue
        todo += children.get(pid, [])
    return total


def quantiles(values: list[float]) -> dict[str, float | None]:
    if len(values) < 2:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    values = sorted(values)
    q = statistics.quantiles(values, n=100)
    return {"p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "max_ms": round(values[-1], 1)}


def open_browsers(stack: contextlib.ExitStack, n: int, links: dict[str, str]) -> list[Any]:
    from tests.webdriver import chrome, wait_js

    drivers = []
    for i in range(n):
        driver = stack.enter_context(chrome(width=1200, height=900))
        driver.set_script_timeout(30)
        driver.get(links[("responder", "observer")[i % 2]])
        wait_js(driver, "window.chaosLive && chaosLive.updates > 0", timeout=60)
        assert driver.execute_script(WATCH_JS)
        drivers.append(driver)
    return drivers


def run(participants: int, marks: int, every: float, idle: float,
        browsers: int = 0) -> dict[str, Any]:
    from tests.liveclient import Participant  # the tests' client: plain HTTP, SSE parsed
    from tests.webdriver import wait_js

    with tempfile.TemporaryDirectory(prefix="chaos-bench-live-") as tmp:
        env = {**os.environ, "XDG_STATE_HOME": str(Path(tmp) / "state")}
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.gameday_latency", "--serve",
                                 tmp], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, cwd=REPO, env=env)
        stack = contextlib.ExitStack()
        try:
            assert proc.stdout is not None and proc.stdin is not None
            links = json.loads(proc.stdout.readline())
            base = links["observer"].split("?", 1)[0]
            token = {role: link.split("key=", 1)[1] for role, link in links.items()}
            roles = ["responder", "observer"]
            drivers = open_browsers(stack, browsers, links)
            clients = [Participant(base, token[roles[i % 2]])
                       for i in range(participants - browsers)]
            streams = [c.listen(timeout=marks * every + 120) for c in clients]
            for s in streams:
                s.__enter__()
            for s in streams:
                s.wait_for(lambda m: m[0] == "state", timeout=30)
            drivers_pids = [d.service.process.pid for d in drivers]
            def browsers_cpu() -> float:
                return sum(tree_cpu_seconds(pid) for pid in drivers_pids)
            cpu0, bcpu0, t0 = cpu_seconds(proc.pid), browsers_cpu(), time.monotonic()
            time.sleep(idle)   # connected, no one marking: the ticks and samples alone
            idle_wall = time.monotonic() - t0
            idle_pct = 100 * (cpu_seconds(proc.pid) - cpu0) / idle_wall
            idle_browsers_pct = 100 * (browsers_cpu() - bcpu0) / idle_wall
            poster = Participant(base, token["responder"])
            sent: dict[str, float] = {}
            cpu0, bcpu0, t0 = cpu_seconds(proc.pid), browsers_cpu(), time.monotonic()
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
            for d in drivers:
                wait_js(d, f"window.benchSeen.frame[{marks - 1}]", timeout=60)
            window = time.monotonic() - t0
            cpu = cpu_seconds(proc.pid) - cpu0
            bcpu = browsers_cpu() - bcpu0
            page_dom: list[float] = []
            page_frame: list[float] = []
            page_missing = 0
            skew_ms: list[float] = []
            for d in drivers:
                before = time.time()
                seen = d.execute_script("return [window.benchSeen, Date.now(), "
                                        "performance.timeOrigin + performance.now()];")
                skew_ms.append(round(seen[2] - seen[1], 1))   # monotonic-from-origin vs wall
                assert before * 1000 - 1000 < seen[1] < time.time() * 1000 + 1000
                for k in range(marks):
                    t_sent = sent[f"bench-{k}"] * 1000
                    if str(k) in seen[0]["dom"]:
                        page_dom.append(seen[0]["dom"][str(k)] - t_sent)
                        page_frame.append(seen[0]["frame"].get(str(k), float("nan")) - t_sent)
                    else:
                        page_missing += 1
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
            stack.close()   # the browsers quit first, then the server
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    out: dict[str, Any] = {
        "participants": participants, "browsers": browsers, "marks": marks, "every_s": every,
        "deliveries": len(latencies), "missing": missing, **quantiles(latencies),
        "server_cpu_pct": round(100 * cpu / window, 1),
        "idle_s": idle, "idle_cpu_pct": round(idle_pct, 1), "window_s": round(window, 1)}
    if browsers:
        frames = [v for v in page_frame if v == v]   # NaN: no frame stamped yet
        out["browser"] = {
            "screens": len(page_dom), "missing": page_missing,
            "dom": quantiles(page_dom), "frame": quantiles(frames),
            "cpu_pct": round(100 * bcpu / window, 1),
            "idle_cpu_pct": round(idle_browsers_pct, 1),
            "clock_skew_ms": skew_ms}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--participants", type=int, default=50)
    ap.add_argument("--marks", type=int, default=200)
    ap.add_argument("--every", type=float, default=0.1, help="seconds between marks")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--browsers", type=int, default=0,
                    help="of the participants, this many are real headless Chromium pages")
    ap.add_argument("--idle", type=float, default=20.0,
                    help="seconds connected with no marks first (the server's CPU then)")
    ap.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(Path(args.serve))
        return
    if not 0 <= args.browsers <= args.participants:
        ap.error("--browsers must be between 0 and --participants")
    results = [run(args.participants, args.marks, args.every, args.idle, args.browsers)
               for _ in range(args.rounds)]
    for r in results:
        emit(bench="gameday_latency", **r)


if __name__ == "__main__":
    main()
