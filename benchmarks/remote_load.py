"""Distributed load from 3 worker hosts: chaos's master against a bare Locust master, alternating.

    python -m benchmarks.remote_load --pairs 3 --seconds 20 --users 30

Three Locust workers run in containers of their own (``tests/loadhosts.py``, image
``chaos/loadworker``: the host's Locust, nothing of chaos), each joining with
``python3 -m locust -f - --worker``, so they fetch every locustfile from the master.
The target is a small HTTP server in a fourth container on the same network, which
counts what it served. Each run starts fresh workers and one master on this machine,
bound to the network's gateway:

- ``bare``: ``locust -f hit.py --master --headless --expect-workers 3`` with only the
  locustfile below (and the master flags ``LoadRunner`` gives, ``--enable-rebalancing``);
- ``chaos``: ``LoadRunner`` with ``RemoteLoad`` (count 3), as a trial builds it: the
  same locustfile plus chaos's channel files, its master writing ``observations.jsonl``.

Same users, spawn rate, duration and flags otherwise; the order alternates from pair
to pair (bare-chaos, chaos-bare). Locust's own final counts come from the master's
``--json-file`` (given to both sides in a ``locust.conf`` in the run's directory, since
``LoadRunner`` builds its own command line); the rate is Locust's request count over
its stats' first-to-last request. For a chaos run the stream's request lines must
equal Locust's count, and every worker's ``done`` line must say sent = received with
no gap, or the script exits 1 after its summary.

The channel's cost, sampled every 0.5 s over the steady part of each run (from 3 s
after the workers joined to 1 s before the end):

- ``channel_in_bytes_per_request``: TCP payload the master received from its workers
  (``ss -ti``'s ``bytes_received`` on the master's port), per request, for both sides;
  chaos's extra is the difference. ``batch_bytes_per_request`` is the msgpack size of
  the ``chaos_obs`` messages rebuilt from the stream (batches of ``FLUSH_EVERY`` s per
  worker), computed offline the way Locust serializes a message
  (``msgpack.dumps((type, data, node_id))``).
- ``master_cpu_us_per_request``: the master process's CPU (``/proc/<pid>/stat``) over
  the window, per request at the run's rate; ``worker_cpu_us_per_request`` the three
  worker containers' (``cpuacct.usage``) and ``target_cpu_us_per_request`` the server's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.common import emit, spread
from chaos.lab.engine import client
from chaos.load.runner import PROC, LoadRunner, LoadSettings, RemoteLoad, free_port
from tests.loadhosts import LoadHosts

WORKERS = 3
TARGET_PORT = 8000
SAMPLE_EVERY = 0.5
# obschannel.FLUSH_EVERY, for the offline batch sizes (read, not imported: importing it
# imports Locust, which would monkey-patch this process with gevent)
FLUSH_EVERY = float(re.search(r"^FLUSH_EVERY = ([0-9.]+)$", (PROC / "obschannel.py").read_text(),
                              re.M)[1])  # type: ignore[index]

LOCUSTFILE = '''\
from locust import FastHttpUser, constant, task


class Hit(FastHttpUser):
    wait_time = constant({wait!r})

    @task
    def get(self):
        self.client.get("/")
'''

# The target: answers every GET with 2 bytes over keep-alive, counts them; /count says
# how many it answered.
SERVER = '''\
import http.server, threading
served = 0
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # else headers and body wait 40 ms for an ACK
    def do_GET(self):
        global served
        if self.path == "/count":
            body = str(served).encode()
        else:
            with lock:
                served += 1
            body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", PORT), H).serve_forever()
'''.replace("PORT", str(TARGET_PORT))

COUNT = ["python3", "-c", "import urllib.request as u; "
         f"print(u.urlopen('http://127.0.0.1:{TARGET_PORT}/count', timeout=5).read().decode())"]


def cpu_of_pid(pid: int) -> float | None:
    """CPU seconds (user + system) of one process, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of_container(container_id: str) -> float | None:
    """CPU seconds of a running container (cgroup v1 ``cpuacct``), or None."""
    for path in (f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage",
                 f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat"):
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        if path.endswith("cpu.stat"):     # cgroup v2: usage_usec
            return int(re.search(r"usage_usec (\d+)", text)[1]) / 1e6  # type: ignore[index]
        return int(text) / 1e9
    return None


def channel_bytes(port: int) -> tuple[int, int, int]:
    """(connections, bytes received, bytes sent) of the master's established TCP
    connections on ``port``, from ``ss``."""
    out = subprocess.run(["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, timeout=5).stdout
    received = sum(int(x) for x in re.findall(r"bytes_received:(\d+)", out))
    sent = sum(int(x) for x in re.findall(r"bytes_sent:(\d+)", out))
    conns = sum(1 for line in out.splitlines() if line and not line[0].isspace())
    return conns, received, sent


def read_json_stats(prefix: Path) -> dict:
    entries = json.loads(Path(f"{prefix}.json").read_text())
    requests = sum(e["num_requests"] for e in entries)
    first = min(e["start_time"] for e in entries)
    last = max(e["last_request_timestamp"] or first for e in entries)
    return {"requests": requests, "failed": sum(e["num_failures"] for e in entries),
            "rps": round(requests / max(last - first, 1e-9), 1)}


def batch_bytes(obs_file: Path) -> dict:
    """The msgpack size of the ``chaos_obs`` batches the workers sent, rebuilt from the
    stream: each worker's rows grouped into ``FLUSH_EVERY`` windows of their answer time."""
    import msgpack  # what Locust's Message.serialize does; importing locust would patch us

    rows: dict[str, list[dict]] = defaultdict(list)
    for line in obs_file.read_text().splitlines():
        d = json.loads(line)
        if "ev" not in d:
            rows[d.get("w", "?")].append(d)
    total = count = batches = 0
    for worker, lines in rows.items():
        windows: dict[int, list[list[Any]]] = defaultdict(list)
        for d in lines:
            windows[int((d["t"] + d["ms"] / 1000) / FLUSH_EVERY)].append(
                [d["t"], d["ms"], d["ok"], d["st"], d["n"], d.get("ref"), d.get("err")])
        node_id = f"{worker}_{'0' * 32}"     # Locust's client id: hostname_<uuid hex>
        for seq, batch in enumerate(windows.values(), 1):
            data = {"seq": seq, "obs": batch, "fl": 10, "pw": []}
            total += len(msgpack.dumps(("chaos_obs", data, node_id)))
            count += len(batch)
            batches += 1
    return {"batch_bytes_per_request": round(total / max(count, 1), 1),
            "requests_per_batch": round(count / max(batches, 1), 1)}


class Bench:
    def __init__(self, hosts: LoadHosts, args: argparse.Namespace, tmp: Path) -> None:
        self.hosts, self.args, self.tmp = hosts, args, tmp
        self.runs = 0
        self.locustfile = tmp / "hit.py"
        self.locustfile.write_text(LOCUSTFILE.format(wait=args.wait))
        hosts.run("target", ["python3", "-c", SERVER])
        deadline = time.monotonic() + 30
        while self.served() is None:
            if time.monotonic() > deadline:
                raise TimeoutError("the target server does not answer:\n" + hosts.logs("target"))
            time.sleep(0.2)
        self.url = f"http://{hosts.address('target')}:{TARGET_PORT}"

    def served(self) -> int | None:
        code, out = self.hosts.exec("target", COUNT)
        return int(out.strip()) if code == 0 else None

    def run(self, how: str, seconds: int | None = None) -> dict:
        self.runs += 1
        seconds = seconds or self.args.seconds
        users = self.args.users
        work = self.tmp / f"{self.runs:02d}-{how}"
        work.mkdir()
        prefix = work / "locust"
        (work / "locust.conf").write_text(f"json-file = {prefix}\n")
        gateway = self.hosts.gateway
        port = free_port(gateway)
        served_before = self.served() or 0
        runner: LoadRunner | None = None
        if how == "chaos":
            settings = LoadSettings(
                locustfile=str(self.locustfile), users=users, spawn_rate=users,
                run_time_s=seconds, stop_timeout=2.0,
                remote=RemoteLoad(bind=gateway, port=port, count=WORKERS, join_timeout=60,
                                  app_url=self.url))
            runner = LoadRunner(self.url, settings, work)
            cwd = os.getcwd()
            os.chdir(work)          # where the master finds locust.conf
            try:
                runner.start()
            finally:
                os.chdir(cwd)
            master_pid = runner.pids()[0]
        else:
            env = {k: v for k, v in os.environ.items() if not k.startswith("CHAOS_")}
            argv = [sys.executable, "-m", "locust", "-f", str(self.locustfile), "--host", self.url,
                    "--only-summary", "--loglevel", "WARNING", "--skip-log-setup",
                    "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
                    "--stop-timeout", "2", "--master", "--master-bind-host", gateway,
                    "--master-bind-port", str(port), "--expect-workers", str(WORKERS),
                    "--expect-workers-max-wait", "65", "--enable-rebalancing"]
            log = (work / "locust-master.log").open("wb")
            proc = subprocess.Popen(argv, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            master_pid = proc.pid
        names = [f"r{self.runs}-w{i + 1}" for i in range(WORKERS)]
        try:
            for name in names:
                self.hosts.start(name, gateway, port)
            samples = self.follow(master_pid, port, names, seconds)
        finally:
            if runner is not None:
                runner.stop()
            else:
                if proc.poll() is None:
                    proc.terminate()
                proc.wait(timeout=30)
                log.close()
            for name in names:
                self.hosts.containers.pop(name).remove(force=True)
        stats = read_json_stats(prefix)
        stats["served"] = (self.served() or 0) - served_before
        stats.update(self.costs(samples, stats["rps"], seconds))
        if runner is not None:
            stats.update(self.stream(runner.obs_file, stats["requests"]))
        return stats

    def follow(self, master_pid: int, port: int, names: list[str], seconds: int) -> list[dict]:
        """Samples until the master exits: CPU of master, workers, target; channel bytes."""
        samples: list[dict] = []
        ids = [self.hosts.containers[n].id for n in names]
        target = self.hosts.containers["target"].id
        deadline = time.monotonic() + seconds + 120
        while time.monotonic() < deadline:
            master = cpu_of_pid(master_pid)
            if master is None or _exited(master_pid):
                break
            workers = [cpu_of_container(i) for i in ids]
            conns, rx, tx = channel_bytes(port)
            samples.append({"t": time.monotonic(), "master": master, "workers": workers,
                               "target": cpu_of_container(target), "conns": conns,
                               "rx": rx, "tx": tx})
            time.sleep(SAMPLE_EVERY)
        return samples

    def costs(self, samples: list[dict], rps: float, seconds: int) -> dict:
        joined = next((s for s in samples if s["conns"] >= WORKERS), None)
        if joined is None or rps <= 0:
            return {}
        window = [s for s in samples if joined["t"] + 3 <= s["t"] <= joined["t"] + seconds - 1
                  and s["conns"] >= WORKERS and None not in s["workers"]]
        if len(window) < 2:
            return {}
        a, b = window[0], window[-1]
        dt = b["t"] - a["t"]

        def per_request(delta: float) -> float:
            return round(delta / dt / rps * 1e6, 1)
        out = {"window_s": round(dt, 1),
               "master_cpu_us_per_request": per_request(b["master"] - a["master"]),
               "worker_cpu_us_per_request": per_request(sum(b["workers"]) - sum(a["workers"])),
               "channel_in_bytes_per_request": round((b["rx"] - a["rx"]) / dt / rps, 1),
               "channel_out_bytes_per_request": round((b["tx"] - a["tx"]) / dt / rps, 1)}
        if a["target"] is not None and b["target"] is not None:
            out["target_cpu_us_per_request"] = per_request(b["target"] - a["target"])
        return out

    def stream(self, obs_file: Path, requests: int) -> dict:
        lines = done = 0
        hosts = []
        for line in obs_file.read_text().splitlines():
            d = json.loads(line)
            if "ev" not in d:
                lines += 1
            elif d["ev"] == "done":
                done += 1
                hosts.append({k: d.get(k) for k in ("w", "sent", "received", "gaps")})
            elif d["ev"] == "lost":
                hosts.append({"w": d["w"], "lost": True})
        complete = done == WORKERS and all(h.get("sent") == h.get("received") and
                                           h.get("gaps") == 0 for h in hosts)
        return {"stream_lines": lines, "stream_exact": lines == requests and complete,
                "hosts": hosts, **batch_bytes(obs_file)}


def _exited(pid: int) -> bool:
    """A child that exited but was not reaped yet is a zombie: gone for our purpose."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def summarise(runs: dict[str, list[dict]]) -> dict:
    bare = [r["rps"] for r in runs["bare"]]
    ours = [r["rps"] for r in runs["chaos"]]
    keys = ("master_cpu_us_per_request", "worker_cpu_us_per_request",
            "target_cpu_us_per_request", "channel_in_bytes_per_request",
            "channel_out_bytes_per_request")
    return {"bare_rps": statistics.median(bare), "chaos_rps": statistics.median(ours),
            "ratio": round(statistics.median(ours) / statistics.median(bare), 3),
            "pair_ratio": spread([c / b for b, c in zip(bare, ours, strict=True)]),
            "bare": spread(bare), "chaos": spread(ours),
            "costs": {k: {how: spread([r[k] for r in rs if k in r]) for how, rs in runs.items()}
                      for k in keys},
            "batch_bytes_per_request": spread([r["batch_bytes_per_request"]
                                               for r in runs["chaos"]]),
            "stream_exact": all(r["stream_exact"] for r in runs["chaos"]),
            "locust_equals_served": all(r["requests"] == r["served"]
                                        for rs in runs.values() for r in rs)}


def _terminated(*_: object) -> None:
    raise SystemExit(143)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=20, help="length of each Locust run")
    ap.add_argument("--users", type=int, default=30, help="in all, spread over the 3 workers")
    ap.add_argument("--wait", type=float, default=0.0, help="think time, s (0 saturates)")
    ap.add_argument("--warmup", type=int, default=5, help="an untimed bare run first, s (0: none)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, _terminated)      # so the containers are removed
    runs: dict[str, list[dict]] = {"bare": [], "chaos": []}
    with LoadHosts(client()) as hosts, \
            tempfile.TemporaryDirectory(prefix="chaos-remote-load-") as tmp:
        bench = Bench(hosts, args, Path(tmp))
        if args.warmup:
            bench.run("bare", seconds=args.warmup)
        for i in range(args.pairs):
            for how in (["bare", "chaos"] if i % 2 == 0 else ["chaos", "bare"]):
                r = bench.run(how)
                runs[how].append(r)
                emit(bench="remote_load", pair=i + 1, how=how, workers=WORKERS,
                     users=args.users, seconds=args.seconds, **r)
    summary = summarise(runs)
    emit(bench="remote_load", summary=summary)
    if not summary["stream_exact"]:
        sys.exit("chaos's stream did not see every request exactly once")


if __name__ == "__main__":
    main()
