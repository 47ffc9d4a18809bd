"""Recovery strategies at growing database sizes: restore seconds, TTR, lost writes, RPO.

    python -m benchmarks.recovery_sizes [--sizes 10000,1000000,5000000] [--trials 3]
        [--strategies dump,pitr,failover] [--chart docs/recovery-sizes.png]

For each size and strategy, one `chaos run` of the seed incident's variant for
that strategy, with the sample's seed size set (`lab.db_env.SEED_ROWS`) and the
reaction delay cut to 0 s (the delay is a constant of the scenario, not of the
strategy). The database is generated inside the db container when the lab comes
up, before the first trial: that time is reported apart (`lab_up_s`) and is not
in any trial. Each trial gives the recovery step's own seconds (what grows with
size), the trial's TTR, the bytes restored or replayed, and lost writes and RPO.

The summary fits restore seconds against rows (scipy.stats.linregress: seconds
per million rows) and says at which size each strategy's TTR would cross the
seed's 2 m target, assuming TTR = its measured fixed part + the fitted restore.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, chaos, emit, spread

SCENARIOS = {
    "dump": ("half-applied-update.yaml", "restore_backup"),
    "pitr": ("half-applied-update-pitr.yaml", "restore_pitr"),
    "failover": ("half-applied-update-failover.yaml", "failover"),
}
TTR_TARGET_S = 120.0


def one_run(strategy: str, rows: int, trials: int, out: Path,
            time_limit: str = "10m") -> list[dict[str, Any]]:
    name, step = SCENARIOS[strategy]
    scenario = REPO / "scenarios" / name
    if not scenario.exists():
        emit(bench="recovery_sizes", strategy=strategy, skipped=f"{name} is not shipped")
        return []
    proc = chaos("run", str(scenario), "--trials", str(trials), "--out", str(out),
                 "--set", f"lab.db_env.SEED_ROWS={rows}", "--set", "recovery.delay=0s",
                 "--set", f"time_limit={time_limit}", timeout=3600)
    up = re.search(r"up in ([0-9.]+) s", proc.stdout)
    if not (out / "result.json").exists():
        raise RuntimeError(f"{strategy} at {rows} rows: no result ({proc.stderr[-800:]})")
    result = json.loads((out / "result.json").read_text())
    rows_out = []
    for trial in result["trials"]:
        done = [e for e in trial["events"] if e["kind"] == "step_done" and e["step"] == step]
        loss = trial.get("data_loss") or {}
        line = {"strategy": strategy, "rows": rows, "trial": trial["trial"],
                "lab_up_s": float(up[1]) if up else None,
                "step_s": done[0]["took_s"] if done else None,
                "bytes": (done[0].get("restored_bytes") if done else None),
                "replayed_bytes": (done[0].get("replayed_bytes") if done else None),
                "phases_s": done[0].get("phases_s") if done else None,
                "ttr_s": trial["ttr_s"], "rpo_s": trial.get("rpo_s"),
                "lost": loss.get("lost"), "acknowledged": loss.get("acknowledged"),
                "end": trial["end_reason"]}
        emit(bench="recovery_sizes", **line)
        rows_out.append(line)
    return rows_out


def fit(lines: list[dict[str, Any]]) -> dict[str, Any]:
    from scipy import stats

    points = [(ln["rows"] / 1e6, ln["step_s"]) for ln in lines if ln["step_s"] is not None]
    if len({x for x, _ in points}) < 2:
        return {"fit": "needs two sizes"}
    reg = stats.linregress([x for x, _ in points], [y for _, y in points])
    fixed = [ln["ttr_s"] - ln["step_s"] for ln in lines
             if ln["ttr_s"] is not None and ln["step_s"] is not None]
    fixed_s = sorted(fixed)[len(fixed) // 2] if fixed else None
    crossing = None
    if fixed_s is not None and reg.slope > 0:
        crossing = round((TTR_TARGET_S - fixed_s - reg.intercept) / reg.slope, 2)
    return {"s_per_million_rows": round(reg.slope, 3), "intercept_s": round(reg.intercept, 3),
            "r2": round(reg.rvalue ** 2, 3), "ttr_minus_step_s": fixed_s,
            "crosses_2m_ttr_at_million_rows": crossing}


def chart(lines: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for strategy in SCENARIOS:
        mine = [ln for ln in lines if ln["strategy"] == strategy and ln["step_s"] is not None]
        sizes = sorted({ln["rows"] for ln in mine})
        if not sizes:
            continue
        med = [spread([ln["step_s"] for ln in mine if ln["rows"] == s])["median"] for s in sizes]
        ax.plot([s / 1e6 for s in sizes], med, marker="o", label=strategy)
        ax.scatter([ln["rows"] / 1e6 for ln in mine], [ln["step_s"] for ln in mine], s=8,
                   alpha=0.4)
    ax.set_xlabel("products in the database (millions; orders: half as many)")
    ax.set_ylabel("recovery step, seconds")
    ax.set_title("Restore time against database size (median of trials)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def saved_lines(paths: list[Path]) -> list[dict[str, Any]]:
    """The trial lines of earlier runs; a later file replaces a (strategy, size) cell."""
    cells: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for path in paths:
        mine: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for raw in path.read_text().splitlines():
            line = json.loads(raw)
            if "strategy" in line and "summary" not in line:
                mine.setdefault((line["strategy"], line["rows"]), []).append(line)
        cells.update(mine)
    return [ln for cell in cells.values() for ln in cell]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,1000000,5000000")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--strategies", default=",".join(SCENARIOS))
    ap.add_argument("--chart", default="")
    ap.add_argument("--time-limit", default="10m",
                    help="each trial's limit (a failover of the seed never recovers: every "
                         "trial runs to it; its step time is what is measured)")
    ap.add_argument("--from", dest="saved", nargs="*", default=[],
                    help="summarise (and chart) the trial lines of earlier runs' output "
                         "instead of running; later files win for the same strategy and size")
    args = ap.parse_args()
    lines: list[dict[str, Any]] = []
    if args.saved:
        lines = saved_lines([Path(p) for p in args.saved])
    else:
        base = Path(tempfile.mkdtemp(prefix="chaos-recovery-sizes-"))
        for rows in (int(s) for s in args.sizes.split(",")):
            for strategy in args.strategies.split(","):
                lines += one_run(strategy, rows, args.trials, base / f"{strategy}-{rows}",
                                 args.time_limit)
    summary: dict[str, Any] = {}
    for strategy in sorted({ln["strategy"] for ln in lines}, key=list(SCENARIOS).index):
        mine = [ln for ln in lines if ln["strategy"] == strategy]
        by_size = {rows: {"step_s": spread([ln["step_s"] for ln in mine
                                            if ln["rows"] == rows and ln["step_s"] is not None]),
                          "ttr_s": spread([ln["ttr_s"] for ln in mine
                                           if ln["rows"] == rows and ln["ttr_s"] is not None]),
                          "lab_up_s": next((ln["lab_up_s"] for ln in mine if ln["rows"] == rows),
                                           None)}
                   for rows in sorted({ln["rows"] for ln in mine})}
        summary[strategy] = {"sizes": by_size, **fit(mine)} if mine else {"skipped": True}
    emit(bench="recovery_sizes", summary=summary)
    if args.chart:
        chart(lines, REPO / args.chart)


if __name__ == "__main__":
    main()
