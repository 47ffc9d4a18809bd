"""Lab start: `chaos lab up` versus bare compose up + wait for healthy, alternating.

    python -m benchmarks.lab_start --pairs 3

Same compose file, warm images. Bare: `docker-compose -p X -f
compose/docker-compose.yml up -d` (compose v1 has no `--wait`), then polling
`docker inspect` until every container of the project is running and healthy.
Only the start is timed; each lab is torn down (untimed) before the next start.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import subprocess
import time

from benchmarks.common import REPO, chaos, emit, spread
from chaos.lab.compose import compose_command

COMPOSE = REPO / "compose" / "docker-compose.yml"


def healthy(project: str) -> bool:
    ids = subprocess.run(["docker", "ps", "-aq",
                          "--filter", f"label=com.docker.compose.project={project}"],
                         capture_output=True, text=True).stdout.split()
    if not ids:
        return False
    states = json.loads(subprocess.run(["docker", "inspect", *ids], capture_output=True,
                                       text=True).stdout)
    return all(s["State"]["Status"] == "running"
               and (s["State"].get("Health") or {}).get("Status", "healthy") == "healthy"
               for s in states)


def bare_start() -> float:
    project = f"bench-{secrets.token_hex(3)}"
    argv = [*compose_command(), "-p", project, "-f", str(COMPOSE)]
    t0 = time.monotonic()
    try:
        subprocess.run([*argv, "up", "-d"], check=True, capture_output=True, cwd=REPO)
        while not healthy(project):
            time.sleep(0.25)
        return time.monotonic() - t0
    finally:
        subprocess.run([*argv, "down", "-v", "--remove-orphans", "--timeout", "5"],
                       capture_output=True, cwd=REPO)


def chaos_start() -> float:
    t0 = time.monotonic()
    up = chaos("lab", "up")
    took = time.monotonic() - t0
    lab_id = re.search(r"chaos lab down (\S+)", up.stdout)
    if lab_id:
        chaos("lab", "down", lab_id[1])
    if up.returncode != 0:
        raise RuntimeError(up.stderr[-800:])
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()
    times: dict[str, list[float]] = {"bare": [], "chaos": []}
    for i in range(args.pairs):
        for who in (["bare", "chaos"] if i % 2 == 0 else ["chaos", "bare"]):
            took = bare_start() if who == "bare" else chaos_start()
            times[who].append(took)
            emit(bench="lab_start", pair=i + 1, how=who, seconds=round(took, 2))
    ratios = [c / b for b, c in zip(times["bare"], times["chaos"], strict=True)]
    emit(bench="lab_start", summary={"bare_s": spread(times["bare"]),
                                     "chaos_s": spread(times["chaos"]),
                                     "ratio": spread(ratios)})


if __name__ == "__main__":
    main()
