"""Accuracy: outages of known onset and length, measured against the truth.

    python -m benchmarks.accuracy --trials 10 --case pause5 --case pause20 --case window5

Cases (the lab's default app, 20 users; steady state 1% for 2 s; recovery none):

- ``pauseN``: the database container paused for N s (the built-in ``pause`` fault).
  Truth: the Docker engine's own ``pause`` / ``unpause`` events (``timeNano``),
  followed live during the run; ``fault_reverted`` is logged only after the
  revert's API calls returned, up to several hundred ms after the unpause.
- ``windowN``: the app answers 500 to every read and write for exactly N s: a
  benchmark-only fault renames ``products.price_cents`` and renames it back
  (DDL commits in milliseconds). Truth: the instants those commits returned.

Truth: ``ttm = t_off − t_fault``; ``ttr = ttm + for``; ``outage = t_off − t_on``.
``ttd`` is compared with an exact, offline event-time replay of the same
error-rate rule over the raw observations (``--keep-observations``): the
difference is what evaluating the rule at loop ticks costs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import yaml

from benchmarks.common import emit, spread
from chaos import sample
from chaos.faults.base import Fault
from chaos.partregistry import faults
from chaos.scenario.base import Strict

HOLD_S = 2.0
RULE = {"window": 2.0, "above": 0.05, "for": 1.0}


class ColumnGoneParams(Strict):
    requires_duration: ClassVar[bool] = True


@faults.register("bench_column_gone")
class ColumnGone(Fault):
    """Reads and writes fail with 500 while products.price_cents is renamed."""

    Params = ColumnGoneParams

    def check(self) -> None:
        # Connected ahead of time, so the onset is one DDL round trip after t_fault.
        self.conn = psycopg.connect(self.ctx.db_dsn, autocommit=True, connect_timeout=10)

    def _ddl(self, a: str, b: str) -> tuple[float, float]:
        t0 = self.ctx.clock.now()
        self.conn.execute(f"ALTER TABLE products RENAME COLUMN {a} TO {b}")
        return t0, self.ctx.clock.now()

    def inject(self) -> None:
        t0, t1 = self._ddl("price_cents", "price_cents_gone")
        self.detail = {"effective_t": round(t1, 4), "ddl_s": round(t1 - t0, 4)}
        self.injected = True

    def revert(self) -> None:
        if getattr(self, "injected", False):
            t0, t1 = self._ddl("price_cents_gone", "price_cents")
            self.injected = False
            self.ctx.timeline.add("bench_window_closed", t=t1, ddl_s=round(t1 - t0, 4))

    def cleanup(self) -> None:
        self.conn.close()


def scenario(case: str) -> dict[str, Any]:
    kind = case.rstrip("0123456789")
    seconds = int(case[len(kind):])
    fault: dict[str, Any] = {"at": "6s", "duration": f"{seconds}s"}
    fault.update({"type": "pause", "target": "db"} if kind == "pause" else
                 {"type": "bench_column_gone"})
    return {
        "name": f"accuracy {case}",
        "lab": sample.lab(),
        "load": sample.load(20),
        "faults": [fault],
        "detect": [{"name": "errors", "type": "error_rate", "window": f"{RULE['window']}s",
                    "above": f"{RULE['above']:.0%}", "for": f"{RULE['for']}s"}],
        "recovery": {"trigger": "none"},
        "steady_state": {"error_rate": {"below": "1%", "for": f"{HOLD_S}s"}},
        "time_limit": f"{seconds + 60}s",
    }


def wall0(events: list[dict[str, Any]]) -> float:
    """The trial clock's wall-clock origin, from the events' (t, wall) pairs (±0.5 ms)."""
    return statistics.median(datetime.fromisoformat(e["wall"]).timestamp() - e["t"]
                             for e in events)


def observations(obs_dir: Path, origin: float) -> list[tuple[float, bool]]:
    out = []
    for path in obs_dir.glob("observations.jsonl"):
        for line in path.read_text().splitlines():
            d = json.loads(line)
            if "ev" not in d:   # a line about a load host, not a request
                out.append((d["t"] + d["ms"] / 1000.0 - origin, d["ok"]))
    return sorted(out)


def replay_rule(obs: list[tuple[float, bool]], t_fault: float) -> float | None:
    """Exact event-time evaluation of the error-rate rule: the condition only
    changes when an answer enters (at its answer time) or leaves (window later)."""
    changes = sorted([(t, 1, ok) for t, ok in obs]
                     + [(t + RULE["window"], -1, ok) for t, ok in obs])
    n = failed = 0
    since = None
    for t, sign, ok in changes:
        if since is not None and t >= since + RULE["for"] and since + RULE["for"] >= t_fault:
            return since + RULE["for"]
        n += sign
        failed += sign * (not ok)
        holds = n > 0 and failed / n > RULE["above"]
        if not holds:
            since = None
        elif since is None:
            since = t
    return None


def replay_ticks(obs: list[tuple[float, bool]], t_fault: float, tick: float = 0.1,
                 phase: float = 0.05) -> float | None:
    """The same rule evaluated the way the loop did before event time: at each
    tick, over the answers read by then (the pre-fix ``WindowRule.check(now)``)."""
    from collections import deque

    window: deque[tuple[float, bool]] = deque()
    i, since, t = 0, None, phase
    while i < len(obs) or window:
        while i < len(obs) and obs[i][0] <= t:
            window.append(obs[i])
            i += 1
        while window and window[0][0] < t - RULE["window"]:
            window.popleft()
        holds = bool(window) and sum(not ok for _, ok in window) / len(window) > RULE["above"]
        since = (since if since is not None else t) if holds else None
        if since is not None and t - since >= RULE["for"] and t >= t_fault:
            return t
        t += tick
    return None


class EngineEvents:
    """The engine's pause/unpause events of chaos labs, followed on a thread."""

    def __init__(self) -> None:
        import threading

        from chaos.lab.engine import client

        self.seen: list[tuple[str, float, str]] = []     # (action, wall-clock s, lab id)
        self._stream = client().events(decode=True, filters={
            "type": "container", "event": ["pause", "unpause"], "label": "chaos.lab"})
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        try:
            for e in self._stream:
                lab = e.get("Actor", {}).get("Attributes", {}).get("chaos.lab", "")
                self.seen.append((e["Action"], e["timeNano"] / 1e9, lab))
        except Exception:
            pass  # closed

    def first(self, action: str, after_wall: float, lab: str) -> float | None:
        # Other labs on the engine (other runs, other people) pause containers too.
        return min((w for a, w, lb in self.seen if a == action and lb == lab and w >= after_wall),
                   default=None)

    @classmethod
    def replay(cls, since: float, until: float) -> EngineEvents:
        """The same events after the fact, from the engine's (bounded) event history."""
        from chaos.lab.engine import client

        self = cls.__new__(cls)
        self.seen = []
        for e in client().events(since=int(since), until=int(until) + 1, decode=True, filters={
                "type": "container", "event": ["pause", "unpause"], "label": "chaos.lab"}):
            lab = e.get("Actor", {}).get("Attributes", {}).get("chaos.lab", "")
            self.seen.append((e["Action"], e["timeNano"] / 1e9, lab))
        return self


ENGINE: EngineEvents | None = None


def truth(trial: dict[str, Any], lab: str = "") -> dict[str, float]:
    ev = {e["kind"]: e for e in reversed(trial["events"])}   # first of each kind
    t_fault = ev["fault_injected"]["t"]
    if "bench_window_closed" in ev:
        t_on, t_off = ev["fault_applied"]["effective_t"], ev["bench_window_closed"]["t"]
    else:
        origin = wall0(trial["events"])
        paused = ENGINE.first("pause", origin + t_fault - 0.001, lab) if ENGINE else None
        unpaused = ENGINE.first("unpause", paused, lab) if paused else None
        if unpaused is None:
            raise RuntimeError("no engine pause/unpause events seen for this trial")
        t_on, t_off = paused - origin, unpaused - origin
    return {"t_fault": t_fault, "ttm_s": t_off - t_fault, "ttr_s": t_off - t_fault + HOLD_S,
            "outage_s": t_off - t_on}


def analyse(case: str, out: Path, result: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[float]] = {"ttm_s": [], "ttr_s": [], "outage_s": [], "ttd_s": [],
                                      "ttd_s_tick_eval": []}
    for trial in result["trials"]:
        if trial.get("status") != "completed" or trial.get("ttm_s") is None:
            emit(bench="accuracy", case=case, trial=trial["trial"], skipped=trial.get("end_reason"))
            continue
        tr = truth(trial, result["lab"]["id"])
        obs = observations(out / f"trial-{trial['trial']}" / "observations", wall0(trial["events"]))
        exact_ttd = replay_rule(obs, tr["t_fault"])
        tick_ttd = replay_ticks(obs, tr["t_fault"])
        row = {k: round(trial[k] - tr[k], 4) for k in ("ttm_s", "ttr_s", "outage_s")}
        if exact_ttd is not None and trial["ttd_s"] is not None:
            row["ttd_s"] = round(trial["ttd_s"] - (exact_ttd - tr["t_fault"]), 4)
        if exact_ttd is not None and tick_ttd is not None:
            row["ttd_s_tick_eval"] = round(tick_ttd - exact_ttd, 4)
        for k, v in row.items():
            errors[k].append(v)
        emit(bench="accuracy", case=case, trial=trial["trial"], error_s=row,
             measured={k: trial[k] for k in ("ttd_s", "ttm_s", "ttr_s", "outage_s")},
             truth={k: round(v, 4) for k, v in tr.items() if k != "t_fault"})
    summary = {k: {**spread(v), "worst_abs": round(max(map(abs, v)), 4) if v else None}
               for k, v in errors.items()}
    emit(bench="accuracy", case=case, summary=summary)
    return summary


def run_case(case: str, trials: int, workdir: Path) -> dict[str, Any]:
    from chaos.run import RunOptions, run_scenario

    path = workdir / f"{case}.yaml"
    path.write_text(yaml.safe_dump(scenario(case), sort_keys=False))
    out = workdir / case
    t0 = time.monotonic()
    result = run_scenario(path, RunOptions(trials=trials, out=out, keep_observations=True,
                                           log=lambda _m: None))
    emit(bench="accuracy", case=case, run_wall_s=round(time.monotonic() - t0, 1), out=str(out))
    return analyse(case, out, result.as_dict())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--case", action="append", help="pauseN or windowN (repeatable)")
    ap.add_argument("--workdir", type=Path, help="keep runs here (default: a temp dir)")
    ap.add_argument("--analyse", action="store_true",
                    help="only re-analyse the runs already in --workdir")
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="chaos-accuracy-"))
    workdir.mkdir(parents=True, exist_ok=True)
    global ENGINE
    if args.analyse:
        for case in args.case or ["pause5", "pause20", "window5"]:
            result = json.loads((workdir / case / "result.json").read_text())
            start = datetime.fromisoformat(result["started"]).timestamp()
            end = datetime.fromisoformat(result["finished"]).timestamp()
            ENGINE = EngineEvents.replay(start - 1, end + 1)
            analyse(case, workdir / case, result)
        return
    ENGINE = EngineEvents()
    for case in args.case or ["pause5", "pause20", "window5"]:
        run_case(case, args.trials, workdir)


if __name__ == "__main__":
    main()
