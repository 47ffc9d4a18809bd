"""The database reset between trials: a template copy against a dump restore, alternated.

    python -m benchmarks.reset_between_trials --rows 10000 --rounds 5

One lab of the seed scenario (``--set lab.db_env.SEED_ROWS=N``), its golden dump taken
as ``chaos run`` takes it; then, ``--rounds`` times each, alternating: the reset
``chaos run`` now does (``chaos.recover.reset``: drop the database, make it again from
the golden template; the first one also restores the template from the dump) and the
one it did before (``pg_restore --clean`` of the golden dump over the database, after
terminating the sessions). Each is timed without the app's settling (no health path),
so only the database's work is compared; no load runs. One JSON line per reset.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from benchmarks.common import REPO, emit, spread
from chaos.lab.labspec import lab_spec
from chaos.lab.start import start_lab
from chaos.measure.timeline import Clock
from chaos.recover.backups import BackupStore
from chaos.recover.reset import reset_database
from chaos.scenario import load_scenario

SEED = REPO / "scenarios" / "half-applied-update.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    scenario = load_scenario(Path(SEED), overrides=[f"lab.db_env.SEED_ROWS={args.rows}"])
    lab = start_lab(lab_spec(scenario), owner_pid=os.getpid())
    times: dict[str, list[float]] = {"template": [], "restore": []}
    try:
        store = BackupStore(lab)
        golden = store.take(0, Clock(), name="golden")
        for n in range(args.rounds):
            for how in (("template", "restore") if n % 2 == 0 else ("restore", "template")):
                t0 = time.monotonic()
                if how == "template":
                    reset_database(lab, golden, None)
                else:
                    store.restore(golden)
                took = time.monotonic() - t0
                times[how].append(took)
                emit(bench="reset_between_trials", rows=args.rows, how=how, round=n + 1,
                     first=(how == "template" and n == 0), seconds=round(took, 3),
                     dump_bytes=golden.bytes)
    finally:
        lab.down()
    later = times["template"][1:]   # the first template reset also restores the template
    emit(bench="reset_between_trials", rows=args.rows, summary=True,
         template_first_s=round(times["template"][0], 3), template=spread(later),
         restore=spread(times["restore"]),
         ratio=(round(spread(later)["median"] / spread(times["restore"])["median"], 3)
                if later else None))


if __name__ == "__main__":
    main()
