"""Load-driver overhead: chaos's two ways of driving Locust against bare Locust, alternating.

    python -m benchmarks.load_overhead --pairs 3 --seconds 30 --users 20 [--url URL]

Two cases, one for each of the issue's targets, run on the same lab:

- ``locustfile``: the sample shop's own locustfile (``compose/locustfile.py``)
  with its think time set to ``--wait`` (0: saturating). Bare Locust runs it
  alone; chaos runs it unchanged with its per-request stream attached, as
  ``LoadRunner`` builds it: ``-f shop.py,chaos/load/proc/listener.py``.
  Target: chaos ≥ 0.9× bare.
- ``declared``: the shop's two requests declared as in a scenario (a
  ``RequestSpec`` each) and run by ``chaos/load/proc/declared.py`` plus the
  listener, against a hand-written ``FastHttpUser`` doing the same requests
  under bare Locust. Target: chaos ≥ 0.9× bare.

Each round runs both cases, each as a bare/chaos pair whose order alternates
from round to round (A-B, B-A). Every run is one fresh
``locust --headless -u U -r U -t Ns`` process with identical flags but
``-f`` (and chaos's environment). Throughput is Locust's own figure, the same
way for both sides and independent of our listener: the ``Aggregated`` row's
``Requests/s`` in ``--csv`` stats. That file is rewritten once a second while
the test runs and not at shutdown, so its request count misses the last
second; final counts come from ``--json-file``, written at shutdown. For a
chaos run, the listener's line count must match that final count within 1%,
or the script exits 1 after its summary. ``cpu_us_per_request`` is the Locust
process's own CPU (user + system, its start-up of about 1 s included) per
request: it shows the load generator's cost when the app, not Locust, is
what limits the rate.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import REPO, chaos, emit, spread
from chaos.load.runner import LoadRunner, LoadSettings
from chaos.scenario.loadsection import RequestSpec

SHOP_LOCUSTFILE = REPO / "compose" / "locustfile.py"
STREAM_TOLERANCE = 0.01

# The shop's locustfile, imported as it is, with only its think time replaced.
# Not bound as a global name, so Locust sees one User class: the subclass.
NO_WAIT = '''\
import importlib.util
from locust import constant

_spec = importlib.util.spec_from_file_location("shop_locustfile", {path!r})
_shop = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shop)


class Shopper(_shop.Shopper):
    wait_time = constant({wait!r})
'''

# What a user would write by hand for the two requests declared below.
HAND_WRITTEN = '''\
import random
import uuid

from locust import FastHttpUser, constant, task


class Shopper(FastHttpUser):
    wait_time = constant({wait!r})
    network_timeout = 5.0
    connection_timeout = 5.0

    @task(8)
    def read(self):
        self.client.get(f"/products/{{random.randint(1, 10000)}}", name="/products/[id]")

    @task(2)
    def order(self):
        body = {{"product_id": random.randint(1, 10000), "qty": 1, "client_ref": str(uuid.uuid4())}}
        with self.client.post("/orders", json=body, name="/orders", catch_response=True) as resp:
            if resp.status_code == 201:
                resp.success()
            else:
                resp.failure(f"HTTP {{resp.status_code}}")
'''

DECLARED = [
    {"name": "/products/[id]", "method": "GET", "path": "/products/{int:1:10000}", "weight": 8},
    {"name": "/orders", "method": "POST", "path": "/orders", "weight": 2, "success": [201],
     "json": {"product_id": "{int:1:10000}", "qty": 1, "client_ref": "{ref}"},
     "write": {"ref": "client"}},
]


class Bench:
    """One benchmark session: the lab's URL, the settings, a scratch directory."""

    def __init__(self, url: str, args: argparse.Namespace, tmp: Path) -> None:
        self.url, self.args, self.tmp = url, args, tmp
        self.runs = 0
        self.no_wait = tmp / "shop_no_wait.py"
        self.no_wait.write_text(NO_WAIT.format(path=str(SHOP_LOCUSTFILE), wait=args.wait))
        self.hand_written = tmp / "hand_written.py"
        self.hand_written.write_text(HAND_WRITTEN.format(wait=args.wait))

    def run(self, case: str, how: str, seconds: int | None = None) -> dict:
        self.runs += 1
        work = self.tmp / f"{self.runs:02d}-{case}-{how}"
        obs_dir: Path | None = None
        extra_env: dict[str, str] = {}
        if how == "bare":
            files = str(self.no_wait if case == "locustfile" else self.hand_written)
        else:
            files, obs_dir, extra_env = self.chaos_setup(case, work)
        stats = self.locust(files, extra_env, work, seconds or self.args.seconds)
        if obs_dir is not None:
            lines = sum(1 for p in obs_dir.glob("observations.jsonl") for line in p.open()
                        if '"ev":' not in line)    # requests, not the lines about the host
            stats["stream_lines"] = lines
            stats["stream_ok"] = (abs(lines - stats["requests"])
                                  <= STREAM_TOLERANCE * stats["requests"])
        return stats

    def chaos_setup(self, case: str, work: Path) -> tuple[str, Path, dict[str, str]]:
        """chaos's own ``-f`` and environment, built by ``LoadRunner`` as in a trial."""
        wait = self.args.wait
        if case == "locustfile":
            settings = LoadSettings(locustfile=str(self.no_wait))
        else:
            requests = tuple(RequestSpec.model_validate(d).as_locust() for d in DECLARED)
            settings = LoadSettings(requests=requests, wait_min=wait, wait_max=wait)
        runner = LoadRunner(self.url, settings, work)
        files = runner.locustfiles()        # writes observations/chaos_requests.py for declared
        return files, runner.obs_dir, {"CHAOS_OBS_FILE": str(runner.obs_file)}

    def locust(self, files: str, extra_env: dict[str, str], work: Path, seconds: int) -> dict:
        work.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHAOS_")}
        env.update(extra_env)
        users = str(self.args.users)
        prefix = work / "locust"
        argv = [sys.executable, "-m", "locust", "-f", files, "--headless", "-u", users,
                "-r", users, "-t", f"{seconds}s", "--host", self.url, "--csv", str(prefix),
                "--json-file", str(prefix), "--only-summary", "--loglevel", "WARNING",
                "--stop-timeout", "2"]
        before = cpu_of_children()
        done = subprocess.run(argv, check=False, cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=seconds + 120)
        cpu = cpu_of_children() - before
        # Locust exits 1 when a request failed; that is a result, not a crash.
        try:
            stats = read_stats(prefix)
        except (OSError, LookupError, ValueError) as e:
            raise RuntimeError(f"locust -f {files} gave no stats ({e}), exit {done.returncode}:\n"
                               f"{done.stderr[-1500:]}") from None
        stats["cpu_us_per_request"] = round(cpu * 1e6 / max(stats["requests"], 1), 1)
        return stats


def cpu_of_children() -> float:
    """CPU seconds of this process's waited-for children: here, the Locust runs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_stats(prefix: Path) -> dict:
    """Locust's own figures: the rate from ``--csv``, final counts from ``--json-file``."""
    with open(f"{prefix}_stats.csv", newline="") as f:
        (agg,) = [row for row in csv.DictReader(f) if row["Name"] == "Aggregated"]
    entries = json.loads(Path(f"{prefix}.json").read_text())
    return {"rps": round(float(agg["Requests/s"]), 1),
            "requests": sum(e["num_requests"] for e in entries),
            "failed": sum(e["num_failures"] for e in entries),
            "p50_ms": float(agg["Median Response Time"])}


@contextmanager
def lab(url: str | None) -> Iterator[str]:
    """The given app URL, or a lab of our own, started here and always taken down."""
    if url:
        yield url
        return
    up = chaos("lab", "up", timeout=600)
    found = re.search(r"chaos lab down (\S+)", up.stdout)
    app = re.search(r"app: (\S+)", up.stdout)
    if up.returncode != 0 or not found:
        sys.exit(f"chaos lab up failed:\n{up.stdout[-1000:]}{up.stderr[-1500:]}")
    try:
        if not app:
            raise RuntimeError(f"no app URL in `chaos lab up` output:\n{up.stdout[-1000:]}")
        yield app[1]
    finally:
        chaos("lab", "down", found[1], timeout=300)


def summarise(results: dict[str, dict[str, list[dict]]]) -> dict:
    out = {}
    for case, sides in results.items():
        bare = [r["rps"] for r in sides["bare"]]
        ours = [r["rps"] for r in sides["chaos"]]
        out[case] = {"bare_rps": statistics.median(bare), "chaos_rps": statistics.median(ours),
                     "ratio": round(statistics.median(ours) / statistics.median(bare), 3),
                     "pair_ratio": spread([c / b for b, c in zip(bare, ours, strict=True)]),
                     "bare": spread(bare), "chaos": spread(ours),
                     "cpu_us_per_request": {how: spread([r["cpu_us_per_request"] for r in runs])
                                            for how, runs in sides.items()},
                     "stream_ok": all(r["stream_ok"] for r in sides["chaos"])}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=30, help="length of each Locust run")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--wait", type=float, default=0.0, help="think time, s (0 saturates)")
    ap.add_argument("--warmup", type=int, default=5, help="an untimed run first, s (0: none)")
    ap.add_argument("--url", help="the app of a lab already up (default: start one)")
    args = ap.parse_args()
    cases = ("locustfile", "declared")
    results: dict[str, dict[str, list[dict]]] = {c: {"bare": [], "chaos": []} for c in cases}
    with lab(args.url) as url, tempfile.TemporaryDirectory(prefix="chaos-load-overhead-") as tmp:
        bench = Bench(url, args, Path(tmp))
        if args.warmup:
            bench.run("locustfile", "bare", seconds=args.warmup)
        for i in range(args.pairs):
            for case in cases:
                for how in (["bare", "chaos"] if i % 2 == 0 else ["chaos", "bare"]):
                    r = bench.run(case, how)
                    results[case][how].append(r)
                    emit(bench="load_overhead", pair=i + 1, case=case, how=how, **r)
    summary = summarise(results)
    emit(bench="load_overhead", summary=summary)
    if not all(s["stream_ok"] for s in summary.values()):
        sys.exit("the listener's line count differs from Locust's request count by more than 1%")


if __name__ == "__main__":
    main()
