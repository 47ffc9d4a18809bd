"""What polling indicators costs the orchestrator: 5 SQL and 5 PromQL indicators read
every second, against the same trial with no indicator of its own, alternating.

    python -m benchmarks.indicator_cost --pairs 2 [--seconds 40]

Both runs use ``examples/queue`` (its lab carries Prometheus) with a 45 s stop of the
worker, its two backlog indicators and its alert; they differ only in 10 more
indicators (always inside their objective) on the "with" side. The orchestrator's own CPU
time (``utime + stime`` of the ``chaos run`` process from /proc, not its Locust
children) is read just before the process exits, and divided by the run's wall
time. Each run also reports its TTD and TTR, to show that the readers do not
move the measured instants. One JSON line per run, then a summary per side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import CHAOS, REPO, emit, spread

EXAMPLE = REPO / "examples" / "queue" / "scenario.yaml"
TICK = os.sysconf("SC_CLK_TCK")


def indicators(n_sql: int, n_promql: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"name": f"sql-{i}", "type": "sql", "every": "1s", "below": 1_000_000,
         "query": "SELECT count(*) FROM outbox WHERE sent_at IS NULL"} for i in range(n_sql)]
    out += [{"name": f"promql-{i}", "type": "promql", "every": "1s", "below": 1_000_000,
             "query": "sum(queue_backlog)"} for i in range(n_promql)]
    return out


def scenario(side: str, seconds: float) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["name"] = f"indicator cost: {side}"
    doc["faults"][0].update(at="15s", duration="45s")   # the page lands well inside it
    doc["time_limit"] = f"{seconds:g}s"
    doc["targets"] = {}
    own = doc["steady_state"]["indicators"]            # the example's two backlog indicators
    doc["steady_state"] = {"for": "5s",
                           "indicators": own + (indicators(5, 5) if side == "with" else [])}
    path = EXAMPLE.with_name(f".bench-indicator-cost-{side}.yaml")   # its relative paths hold
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK   # utime, stime: this process only


def one(side: str, seconds: float, out: Path) -> dict[str, Any]:
    path = scenario(side, seconds)
    t0 = time.monotonic()
    proc = subprocess.Popen([*CHAOS, "run", str(path), "--out", str(out), "--fixed-phase"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    cpu = None
    while proc.poll() is None:
        cpu = cpu_seconds(proc.pid) or cpu
        time.sleep(0.2)
    wall = time.monotonic() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"chaos run failed ({proc.returncode}): "
                           f"{(proc.stderr.read() if proc.stderr else '')[-800:]}")
    trial = json.loads((out / "result.json").read_text())["trials"][0]
    return {"side": side, "cpu_s": cpu, "wall_s": round(wall, 2),
            "cpu_share": round(cpu / wall, 4) if cpu else None,
            "indicators": len(trial.get("indicators") or []),
            "readings": sum(i.get("readings") or 0 for i in trial.get("indicators") or []),
            "ttd_s": trial.get("ttd_s"), "tti_s": trial.get("tti_s"), "ttr_s": trial.get("ttr_s")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=100.0, help="each trial's time limit")
    ap.add_argument("--out", default="/tmp/indicator-cost")
    args = ap.parse_args()
    results: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    try:
        for n in range(args.pairs):
            for side in ("without", "with"):
                r = one(side, args.seconds, Path(args.out) / f"{side}-{n}")
                emit(bench="indicator_cost", pair=n, **r)
                results[side].append(r)
    finally:
        for side in ("without", "with"):
            EXAMPLE.with_name(f".bench-indicator-cost-{side}.yaml").unlink(missing_ok=True)
    for side, runs in results.items():
        emit(bench="indicator_cost_summary", side=side,
             cpu_share=spread([r["cpu_share"] for r in runs if r["cpu_share"] is not None]),
             cpu_s=spread([r["cpu_s"] for r in runs if r["cpu_s"] is not None]),
             ttd_s=spread([r["ttd_s"] for r in runs if r["ttd_s"] is not None]),
             tti_s=spread([r["tti_s"] for r in runs if r["tti_s"] is not None]),
             ttr_s=spread([r["ttr_s"] for r in runs if r["ttr_s"] is not None]))


if __name__ == "__main__":
    main()
