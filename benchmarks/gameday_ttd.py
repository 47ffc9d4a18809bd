"""TTD and TTR of one scenario with 50 participants on the live page, and with none.

    python -m benchmarks.gameday_ttd --pairs 3 --trials 2 --participants 50 [--browsers 0]

Every ``chaos run`` serves the live page (``RunOptions.live``) from the run's own
process: the uvicorn thread that feeds the participants shares the interpreter with
the trial loop, the detectors and the observation reader. The question is whether a
game day's crowd on that page moves what the run measures.

The scenario is ``benchmarks.accuracy``'s ``pause20``: the shop at 20 users, the
database paused at 6 s for 20 s, one error-rate rule (2 s window, above 5 %, for 1 s),
steady state below 1 % for 2 s, recovery ``none`` (the pause ends by itself). Recovery
is automatic on purpose: in a game day (``--gameday``) people recover, so TTR would
measure whoever presses the button; here only the instrument is in the loop. Each run
is ``chaos run --trials T --keep-observations`` in a subprocess, as a person starts it.

"crowd": as soon as the run prints its links, ``--participants`` simulated clients
(``tests/liveclient.py``, half responders, half observers; ``--browsers`` of them real
headless Chromium pages) hold the live stream until the run ends, and one more posts a
note every ``--note-every`` seconds (a game day's chatter). "alone": nobody connects.
Runs alternate, crowd-alone then alone-crowd, so drift of the shared machine falls on
both sides.

Per trial: the measured TTD, TTM, TTR and outage, and each one's error against the
truth, exactly as ``benchmarks.accuracy`` computes it (the Docker engine's own
pause/unpause events, and an exact event-time replay of the rule over the kept
observations). Also the run process's CPU (``utime + stime``, its threads only, not
Locust). One JSON line per trial, one per run, then a summary per condition.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks import accuracy
from benchmarks.common import CHAOS, REPO, emit, spread
from benchmarks.gameday_latency import cpu_seconds

CASE = "pause20"
LINK = re.compile(r"^\s+(facilitator|responder|observer)\s+(https?://\S+\?key=\S+)$")
METRICS = ("ttd_s", "ttm_s", "ttr_s", "outage_s")


class Crowd:
    """Simulated participants (and browsers) on a run's live page, until closed."""

    def __init__(self, links: dict[str, str], participants: int, browsers: int,
                 note_every: float, hold: float) -> None:
        from tests.liveclient import Participant

        base = links["observer"].split("?", 1)[0]
        token = {role: link.split("key=", 1)[1] for role, link in links.items()}
        roles = ("responder", "observer")
        self.stack = contextlib.ExitStack()
        self.drivers: list[Any] = []
        if browsers:
            from tests.webdriver import chrome
            for i in range(browsers):
                driver = self.stack.enter_context(chrome(width=1200, height=900))
                driver.get(links[roles[i % 2]])
                self.drivers.append(driver)
        self.streams = [Participant(base, token[roles[i % 2]]).listen(timeout=hold)
                        for i in range(participants - browsers)]
        for s in self.streams:
            s.__enter__()
        self.poster = Participant(base, token["responder"])
        self.notes = {"ok": 0, "refused": 0, "failed": 0}
        self.stop = threading.Event()
        self.every = note_every
        self.thread = threading.Thread(target=self._chatter, daemon=True)
        self.thread.start()

    def _chatter(self) -> None:
        k = 0
        while not self.stop.wait(self.every):
            try:
                status, _ = self.poster.post("/api/mark", {"mark": "note", "by": "bench",
                                                           "note": f"chatter-{k}"})
                self.notes["ok" if status == 200 else "refused"] += 1
            except OSError:
                self.notes["failed"] += 1
            k += 1

    def close(self) -> dict[str, Any]:
        self.stop.set()
        self.thread.join(timeout=15)
        states = sum(1 for s in self.streams if any(m[0] == "state" for m in s.messages))
        received = sum(len(s.who.received) for s in self.streams)
        pages = []
        for d in self.drivers:
            try:
                pages.append(d.execute_script("return window.chaosLive && chaosLive.updates"))
            except Exception:   # the run is over and the page says so; still a number above
                pages.append(None)
        for s in self.streams:
            s.close()
        self.stack.close()
        return {"streams": len(self.streams), "streams_with_state": states,
                "bytes_sent_to_streams": received, "notes": self.notes,
                "browser_updates": pages}


def one_run(n: int, crowd: bool, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    path = workdir / f"{CASE}.yaml"
    out = workdir / f"run-{n}-{'crowd' if crowd else 'alone'}"
    argv = [*CHAOS, "run", str(path), "--trials", str(args.trials), "--out", str(out),
            "--keep-observations", "--allow-outside-files", "--max-duration",
            f"{int(args.run_timeout)}s"]
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines: list[str] = []
    links: dict[str, str] = {}
    got_links = threading.Event()
    cpu = [0.0]

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if m := LINK.match(line.rstrip("\n")):
                links[m.group(1)] = m.group(2)
                if len(links) == 3:
                    got_links.set()

    def sample_cpu() -> None:   # the last reading before it exits is its total
        while proc.poll() is None:
            with contextlib.suppress(OSError, IndexError):
                cpu[0] = cpu_seconds(proc.pid)
            time.sleep(0.25)

    threading.Thread(target=read, daemon=True).start()
    threading.Thread(target=sample_cpu, daemon=True).start()
    t0 = time.monotonic()
    people: Crowd | None = None
    crowd_info: dict[str, Any] = {}
    try:
        if not got_links.wait(60):
            raise RuntimeError("no links printed:\n" + "\n".join(lines[-30:]))
        if crowd:
            people = Crowd(links, args.participants, args.browsers, args.note_every,
                           hold=args.run_timeout + 60)
        code = proc.wait(timeout=args.run_timeout + 120)
    finally:
        if people is not None:
            crowd_info = people.close()
        if proc.poll() is None:
            proc.terminate()   # the run tears its lab down on SIGTERM
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                proc.kill()
    wall = time.monotonic() - t0
    result = json.loads((out / "result.json").read_text())
    rows = []
    for trial in result["trials"]:
        row: dict[str, Any] = {"run": n, "condition": "crowd" if crowd else "alone",
                               "trial": trial["trial"], "status": trial.get("status"),
                               "measured": {k: trial.get(k) for k in METRICS}}
        if trial.get("status") == "completed" and trial.get("ttm_s") is not None:
            tr = accuracy.truth(trial, result["lab"]["id"])
            obs = accuracy.observations(out / f"trial-{trial['trial']}" / "observations",
                                        accuracy.wall0(trial["events"]))
            exact = accuracy.replay_rule(obs, tr["t_fault"])
            err = {k: round(trial[k] - tr[k], 4) for k in ("ttm_s", "ttr_s", "outage_s")}
            if exact is not None and trial.get("ttd_s") is not None:
                err["ttd_s"] = round(trial["ttd_s"] - (exact - tr["t_fault"]), 4)
            row["error_s"] = err
        rows.append(row)
        emit(bench="gameday_ttd", **row)
    emit(bench="gameday_ttd", run=n, condition="crowd" if crowd else "alone", exit=code,
         wall_s=round(wall, 1), run_cpu_s=round(cpu[0], 2),
         run_cpu_pct=round(100 * cpu[0] / wall, 1), **({"crowd": crowd_info} if crowd else {}))
    return rows


def summary(rows: list[dict[str, Any]]) -> None:
    for cond in ("crowd", "alone"):
        mine = [r for r in rows if r["condition"] == cond and "error_s" in r]
        emit(bench="gameday_ttd", summary=cond, trials=len(mine),
             measured={k: spread([r["measured"][k] for r in mine
                                  if r["measured"][k] is not None]) for k in METRICS},
             error_s={k: {**spread([r["error_s"][k] for r in mine if k in r["error_s"]]),
                          "worst_abs": max((abs(r["error_s"][k]) for r in mine
                                            if k in r["error_s"]), default=None)}
                      for k in METRICS})
    crowd = [r for r in rows if r["condition"] == "crowd" and "error_s" in r]
    alone = [r for r in rows if r["condition"] == "alone" and "error_s" in r]
    if crowd and alone:
        emit(bench="gameday_ttd", summary="crowd minus alone, medians",
             measured_s={k: round(statistics.median([r["measured"][k] for r in crowd])
                                  - statistics.median([r["measured"][k] for r in alone]), 4)
                         for k in METRICS})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--trials", type=int, default=2, help="trials per run")
    ap.add_argument("--participants", type=int, default=50)
    ap.add_argument("--browsers", type=int, default=0,
                    help="of the participants, this many are headless Chromium pages")
    ap.add_argument("--note-every", type=float, default=1.0,
                    help="seconds between the notes one more participant posts")
    ap.add_argument("--run-timeout", type=float, default=420,
                    help="each run's --max-duration, seconds (then it is stopped)")
    ap.add_argument("--workdir", type=Path, help="keep the runs here (default: a temp dir)")
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="chaos-bench-ttd-"))
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{CASE}.yaml").write_text(yaml.safe_dump(accuracy.scenario(CASE),
                                                         sort_keys=False))
    accuracy.ENGINE = accuracy.EngineEvents()   # the truth: pause/unpause as the engine saw it
    rows: list[dict[str, Any]] = []
    n = 0
    for pair in range(args.pairs):
        order = (True, False) if pair % 2 == 0 else (False, True)
        for crowd in order:
            n += 1
            rows += one_run(n, crowd, args, workdir)
    summary(rows)


if __name__ == "__main__":
    main()
