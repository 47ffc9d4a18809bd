"""The seed's scripts rehearsed at the default timings: README's missing row.

    python -m benchmarks.rehearse_seed [--rows 10000] [--scripts reprice.sql,...]

For each script, ``chaos rehearse SCRIPT --scenario scenarios/half-applied-update.yaml``
in a subprocess, as CI would run it (default timings: the script at 10 s, held 10 s,
30 s to serve again), with ``--set lab.db_env.SEED_ROWS=N``. One JSON line per
rehearsal (benchmarks/results/rehearse_seed-DATE.jsonl): the whole rehearsal's wall
time, each database reset between boundaries, each boundary's verdict and error ratio,
and the clean run's units (seconds, locks, requests failed and slowed). Then a table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "scenarios" / "half-applied-update.yaml"
FAULTS = REPO / "scenarios" / "faults"
SCRIPTS = ["reprice.sql", "reprice-transactional.sql", "reprice-fixed.sql"]


def one(script: str, rows: int, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="rehearse-bench-") as tmp:
        out = Path(tmp) / "run"
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "chaos", "rehearse", str(FAULTS / script),
                               "--scenario", str(SEED), "--out", str(out),
                               "--set", f"lab.db_env.SEED_ROWS={rows}", *extra],
                              capture_output=True, text=True, timeout=3600, cwd=REPO)
        wall = time.monotonic() - t0
        if not (out / "rehearsal.json").exists():
            raise SystemExit(f"{script}: chaos rehearse exited {done.returncode} before any "
                             f"boundary:\n{done.stderr[-2000:]}{done.stdout[-2000:]}")
        doc = json.loads((out / "rehearsal.json").read_text())
        result = json.loads((out / "result.json").read_text())
    clean = next((b for b in doc["boundaries"] if b["boundary"] == "clean"), {})
    return {"script": script, "rows": rows, "exit": done.returncode, "wall_s": round(wall, 1),
            "status": doc["status"], "passed": doc["passed"],
            "resets_s": result.get("resets_s", []),
            "boundaries": [{"boundary": b["boundary"], "passed": b["passed"],
                            "error_ratio": (b.get("half_applied") or {}).get("error_ratio"),
                            "failing": list((b.get("half_applied") or {}).get("failing", {})),
                            "recovery": b.get("recovery"), "converged": b.get("converged"),
                            "reasons": b["reasons"]} for b in doc["boundaries"]],
            "units": clean.get("statements", [])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--scripts", default=",".join(SCRIPTS))
    ap.add_argument("extra", nargs="*", help="more `chaos rehearse` options, after --")
    args = ap.parse_args()
    results = REPO / "benchmarks" / "results" / f"rehearse_seed-{date.today()}.jsonl"
    for script in args.scripts.split(","):
        line = one(script, args.rows, args.extra)
        with results.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        broken = [b["boundary"] for b in line["boundaries"] if not b["passed"]]
        resets = line["resets_s"]
        print(f"{script} at {args.rows} rows: exit {line['exit']}, {line['wall_s']} s, "
              f"{len(line['boundaries'])} boundaries, failing: {', '.join(broken) or 'none'}; "
              f"resets {min(resets, default=0):.2f}-{max(resets, default=0):.2f} s")
        for b in line["boundaries"]:
            ratio = "-" if b["error_ratio"] is None else f"{b['error_ratio']:.1%}"
            print(f"  {b['boundary']:<9} {'pass' if b['passed'] else 'FAIL'} errors {ratio:>6}  "
                  f"{'; '.join(b['reasons'])[:150]}")
        for u in line["units"]:
            locks = ", ".join(f"{m} on {r}" for r, m in u["locks"].items()) or "-"
            print(f"  unit {u['unit']}: {u['duration_s']} s, {locks}, {u['requests']} requests "
                  f"({u['failed']} failed, {u['slowed']} slower than p99 before)")


if __name__ == "__main__":
    main()
