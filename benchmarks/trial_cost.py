"""Trial cost: wall time of a scenario's trials versus their scheduled duration,
and the per-trial database reset versus a full lab rebuild.

    python -m benchmarks.trial_cost --trials 2 [--scenario scenarios/half-applied-update.yaml]

A trial's *scheduled* duration is when its own timeline says it was done:
the ``recovered`` event (the steady state completed its window), or the end
reason's instant. Its overhead is the rest of its wall time: Locust start and
stop, the end of the loop, verifying lost writes and invariants. Between
trials the run resets the database from a golden dump (``resets_s`` in
result.json); the alternative is a lab rebuild (down + up), timed here too.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, chaos, emit, spread
from benchmarks.lab_start import chaos_start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=2)
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "half-applied-update.yaml"))
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="chaos-trialcost-")) / "run"
    t0 = time.monotonic()
    proc = chaos("run", args.scenario, "--trials", str(args.trials), "--out", str(out))
    run_wall = time.monotonic() - t0
    result = json.loads((out / "result.json").read_text())
    overheads = []
    for trial in result["trials"]:
        done = {e["kind"]: e["t"] for e in trial["events"]}
        scheduled = done.get("recovered", done.get("trial_ended"))
        overheads.append(trial["wall_s"] - scheduled)
        emit(bench="trial_cost", trial=trial["trial"], wall_s=trial["wall_s"],
             scheduled_s=round(scheduled, 2), overhead_s=round(trial["wall_s"] - scheduled, 2),
             end_reason=trial["end_reason"])
    resets = result.get("resets_s", [])
    rebuild = chaos_start()
    emit(bench="trial_cost", summary={
        "run_wall_s": round(run_wall, 1), "exit_code": proc.returncode,
        "trials_wall_s": round(sum(t["wall_s"] for t in result["trials"]), 1),
        "lab_up_s": float(re.search(r"up in ([0-9.]+) s", proc.stdout)[1]),
        # lab up and down, golden dump, verification, reports: whatever is not a trial
        "outside_trials_s": round(run_wall - sum(t["wall_s"] for t in result["trials"]), 1),
        "overhead_per_trial_s": spread(overheads), "reset_s": spread(resets),
        "rebuild_s (lab up, teardown not counted)": round(rebuild, 2)})


if __name__ == "__main__":
    main()
