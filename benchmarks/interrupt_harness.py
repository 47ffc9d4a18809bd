"""Interrupt `chaos run` at random moments and count what it leaves behind.

    python benchmarks/interrupt_harness.py            # the full sweep: 20 interruptions + SIGKILL
    python benchmarks/interrupt_harness.py -n 4       # the CI sample

Each try runs a short scenario (backups, a paused database, a runbook) and
sends SIGINT or SIGTERM (alternately) at a random moment of one phase, taken
in turn: lab start, before the fault, mid-fault (database paused), during
recovery, during teardown and report writing; then mid point-in-time recovery
(a lab with WAL archiving, the killed database being restored by
``restore_pitr``) and mid-failover (a lab with a streaming replica being
promoted by ``failover``). The moment is a random delay after the event that
opens the phase (a line of output, or an event in timeline.jsonl). After each
try it checks:

- no container, network or volume labelled with the orchestrator's pid (or the
  lab id) is left, and none is paused;
- every non-instant fault that was injected has a ``fault_reverted`` event;
- result.json is ``aborted`` with an ``interrupted`` reason and exit code 130
  (a signal during teardown is deferred until the lab is down, then acted on),
  or, for a signal that arrived after the run had ended, ``completed`` with the
  ordinary exit code;
- result.json holds every event of timeline.jsonl (nothing recorded is lost);
- nothing printed a traceback.

Then SIGKILL: the orchestrator is killed mid-fault, the next `chaos run` must
warn about the stale lab, and `chaos lab down --stale` must remove it.
Only resources labelled by the processes this harness starts are examined.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from chaos import sample

REPO = Path(__file__).resolve().parents[1]
CHAOS = [sys.executable, "-m", "chaos"]
PHASES = ["lab_start", "before_fault", "mid_fault", "recovery", "report", "mid_pitr",
          "mid_failover"]
# phase -> (what opens it: ("out", text) or ("event", kind[, fields]), max random delay, s).
# Mid-PITR: while the database is stopped, the base backup copied back, the server
# started and the WAL replayed. Mid-failover: while the old primary is fenced, the
# replica promoted and the database's name moved to it (it all takes about a second).
TRIGGERS: dict[str, tuple[tuple, float]] = {
    "lab_start": (("out", "writing to"), 4.0),
    "before_fault": (("event", "load_started"), 4.0),
    "mid_fault": (("event", "fault_applied"), 4.0),
    "recovery": (("event", "recovery_started"), 1.5),
    "report": (("out", "tearing down"), 1.5),
    "mid_pitr": (("event", "step_started", {"step": "restore_pitr"}), 2.5),
    "mid_failover": (("event", "step_started", {"step": "failover"}), 0.2),
}
# The recovery step each mid-step phase interrupts: did the signal land before it finished?
MID_STEP = {"mid_pitr": "restore_pitr", "mid_failover": "failover"}

SCENARIO = {
    "name": "interrupt harness",
    "description": "backups, a paused database, a runbook: every phase a run goes through",
    "lab": sample.lab(),
    "load": sample.load(4),
    "backups": {"every": "3s"},
    "faults": [{"type": "pause", "target": "db", "at": "6s", "duration": "5s"}],
    "detect": [{"name": "errors", "type": "error_rate", "window": "3s", "above": "5%"}],
    "recovery": {"trigger": "at", "at": "13s", "steps": [{"restore_backup": "latest"},
                                                         {"wait": "1s"}]},
    "steady_state": {"error_rate": {"below": "1%", "for": "3s"}},
    "time_limit": "45s",
}

KILLED_DB = {
    "load": sample.load(4),
    "faults": [{"type": "kill", "target": "db", "at": "8s", "signal": "SIGKILL"}],
    "detect": [{"name": "errors", "type": "error_rate", "window": "3s", "above": "5%"}],
    "steady_state": {"error_rate": {"below": "1%", "for": "3s"}},
    "time_limit": "60s",
}
PITR_SCENARIO = {
    "name": "interrupt harness, point-in-time recovery",
    "description": "WAL archive and base backup; the killed database restored by restore_pitr",
    "lab": sample.lab(wal_archive={"archive_timeout": "1s"}),
    **KILLED_DB,
    "recovery": {"trigger": "at", "at": "10s", "steps": [{"restore_pitr": "before_fault"}]},
}
FAILOVER_SCENARIO = {
    "name": "interrupt harness, failover",
    "description": "a streaming replica; the killed primary replaced by failover",
    "lab": sample.lab(replica={"synchronous": True}),
    **KILLED_DB,
    "recovery": {"trigger": "at", "at": "10s", "steps": [{"failover": None}]},
}
# The scenario each phase is interrupted in (SCENARIO when not named here).
PHASE_SCENARIOS = {"mid_pitr": PITR_SCENARIO, "mid_failover": FAILOVER_SCENARIO}


@dataclass
class Try:
    n: int
    phase: str
    signal: str
    delay_s: float = 0.0
    exit_code: int | None = None
    status: str | None = None
    abort_reason: str | None = None
    leaks: list[str] = field(default_factory=list)       # resources left, faults not reverted
    problems: list[str] = field(default_factory=list)    # record or output problems
    mid_step: bool | None = None     # mid-step phases: the signal came before the step ended
    last_phase: str | None = None    # ... and the last of its phases done by then
    sent_wall: float | None = None   # when the signal was sent (epoch seconds)
    seconds: float = 0.0


class Follower:
    """Reads the child's output on a thread, so the pipe never fills up."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._t = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._t.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)

    def join(self) -> None:
        self._t.join(timeout=10)


def events(out: Path) -> list[dict]:
    path = out / "timeline.jsonl"
    found = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                pass
    return [e for e in found if e.get("kind") != "sample"]


def wait_for(trigger: tuple, follower: Follower, out: Path, proc: subprocess.Popen,
             timeout: float = 240) -> bool:
    where, what, fields = (*trigger, {})[:3]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if where == "out" and what in follower.text():
            return True
        if where == "event" and any(e.get("kind") == what
                                    and all(e.get(k) == v for k, v in fields.items())
                                    for e in events(out)):
            return True
        time.sleep(0.05)
    return False


def labelled(pid: int, lab_id: str | None) -> dict[str, list[str]]:
    """Our containers/networks/volumes: labelled with this orchestrator's pid or lab id."""
    left: dict[str, list[str]] = {}
    filters = [f"label=chaos.pid={pid}"] + ([f"label=chaos.lab={lab_id}"] if lab_id else [])
    for kind, cmd in (("container", ["ps", "-a"]), ("network", ["network", "ls"]),
                      ("volume", ["volume", "ls"])):
        for flt in filters:
            ids = subprocess.run(["docker", *cmd, "-q", "--filter", flt], capture_output=True,
                                 text=True, timeout=60).stdout.split()
            left.setdefault(kind, [])
            left[kind] += [i for i in ids if i not in left[kind]]
    return left


def paused(pid: int) -> list[str]:
    return subprocess.run(["docker", "ps", "-q", "--filter", f"label=chaos.pid={pid}",
                           "--filter", "status=paused"], capture_output=True, text=True,
                          timeout=60).stdout.split()


def check(t: Try, proc: subprocess.Popen, out: Path, output: str) -> None:
    try:
        result = json.loads((out / "result.json").read_text())
    except (OSError, ValueError) as exc:
        t.problems.append(f"result.json unreadable: {exc}")
        result = {}
    lab_id = (result.get("lab") or {}).get("id")
    t.status = result.get("status")
    t.abort_reason = result.get("abort_reason")
    for kind, ids in labelled(proc.pid, lab_id).items():
        if ids:
            t.leaks.append(f"{len(ids)} {kind}(s) left")
    if paused(proc.pid):
        t.leaks.append("paused container left")
    timeline = events(out)
    for e in timeline:
        applied = (e["kind"] == "fault_applied" and not e.get("error")
                   and e.get("fault") == "pause")
        if applied and not any(r["kind"] == "fault_reverted" and r.get("index") == e.get("index")
                               and r.get("trial") == e.get("trial") for r in timeline):
            t.leaks.append(f"fault {e.get('fault')} never reverted")
    if t.phase in MID_STEP and t.sent_wall is not None:
        # The step runs on a worker thread that teardown waits for, so it may well
        # finish after the signal: what counts is whether the signal came before it did.
        mine = [e for e in timeline if e.get("step") == MID_STEP[t.phase]]
        ended = [wall(e) for e in mine if e["kind"] in ("step_done", "step_failed")]
        t.mid_step = not ended or ended[0] > t.sent_wall
        done = [e.get("phase") for e in mine if e["kind"].endswith("_phase")
                and wall(e) + float(e.get("took_s") or 0) <= t.sent_wall]
        t.last_phase = done[-1] if done else None
    if "Traceback" in output:
        t.problems.append("a traceback was printed")
    if t.exit_code == 130:
        if t.status != "aborted" or "interrupted" not in (result.get("abort_reason") or ""):
            t.problems.append(f"exit 130 but status {t.status!r}, "
                              f"reason {result.get('abort_reason')!r}")
    elif t.exit_code in (0, 1):
        if t.status != "completed":
            t.problems.append(f"exit {t.exit_code} but status {t.status!r}")
        elif t.phase != "report":
            t.problems.append(f"the {t.signal} during {t.phase} was not acted on")
    else:
        t.problems.append(f"exit code {t.exit_code}")
    recorded = {(tr.get("trial"), e.get("kind"), e.get("t")) for tr in result.get("trials", [])
                for e in tr.get("events") or []}
    missing = [e["kind"] for e in timeline
               if (e.get("trial"), e["kind"], e.get("t")) not in recorded]
    if missing:
        t.problems.append(f"result.json lacks {len(missing)} event(s) of timeline.jsonl: "
                          f"{missing[:5]}")


def wall(event: dict) -> float:
    return datetime.fromisoformat(event["wall"]).timestamp()


def one_try(n: int, phase: str, signum: signal.Signals, scenarios: dict[str, Path],
            work: Path, rng: random.Random, log) -> Try:
    scenario = scenarios.get(phase, scenarios["default"])
    (trigger, max_delay) = TRIGGERS[phase]
    t = Try(n=n, phase=phase, signal=signum.name, delay_s=round(rng.uniform(0, max_delay), 2))
    out = work / f"try-{n:02d}"
    t0 = time.monotonic()
    proc = subprocess.Popen([*CHAOS, "run", str(scenario), "--out", str(out)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    follower = Follower(proc)
    try:
        if wait_for(trigger, follower, out, proc):
            time.sleep(t.delay_s)
            if proc.poll() is None:
                t.sent_wall = time.time()
                proc.send_signal(signum)
        else:
            t.problems.append(f"the {phase} phase never began")
        t.exit_code = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            t.problems.append("had to SIGKILL the run: it did not stop within 300 s")
    follower.join()
    t.seconds = round(time.monotonic() - t0, 1)
    check(t, proc, out, follower.text())
    log(f"try {n:2d} {phase:<12} {t.signal:<7} +{t.delay_s:4.2f}s exit {t.exit_code} "
        f"status {t.status} leaks {t.leaks or 0} problems {t.problems or 0} ({t.seconds} s)"
        + (f" mid-step {t.mid_step} (after phase {t.last_phase})" if t.phase in MID_STEP else ""))
    return t


def sigkill_then_stale(scenario: Path, work: Path, log) -> dict:
    """SIGKILL mid-fault; the next run warns; `chaos lab down --stale` cleans up."""
    out = work / "sigkill"
    proc = subprocess.Popen([*CHAOS, "run", str(scenario), "--out", str(out)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    follower = Follower(proc)
    report = {"left_after_kill": 0, "warned": False, "left_after_stale": None}
    try:
        if not wait_for(("event", "fault_applied"), follower, out, proc):
            report["problem"] = "fault never applied"
            return report
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    follower.join()
    report["load_left_after_kill"] = len(_orphan_load(out))
    lab_id = json.loads((out / "result.json").read_text())["lab"]["id"]
    report["lab_id"] = lab_id
    report["left_after_kill"] = sum(len(v) for v in labelled(proc.pid, lab_id).values())
    # The next run must warn about the stale lab; it is then interrupted, as soon as it has.
    nxt = subprocess.Popen([*CHAOS, "run", str(scenario), "--out", str(work / "after-kill")],
                           cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    f2 = Follower(nxt)
    try:
        wait_for(("out", f"lab {lab_id} is left over"), f2,
                 work / "after-kill", nxt, timeout=120)
        report["warned"] = f"warning: lab {lab_id} is left over" in f2.text()
        nxt.send_signal(signal.SIGINT)
        nxt.wait(timeout=300)
    finally:
        if nxt.poll() is None:
            nxt.kill()
    f2.join()
    report["next_run_left"] = sum(len(v) for v in labelled(nxt.pid, None).values())
    down = subprocess.run([*CHAOS, "lab", "down", "--stale"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    report["down_exit"] = down.returncode
    report["left_after_stale"] = sum(len(v) for v in labelled(proc.pid, lab_id).values())
    time.sleep(3)  # Locust's own stop timeout after the SIGTERM `down` sent it
    report["load_left_after_stale"] = len(_kill_orphan_load(out))
    log(f"SIGKILL mid-fault: {report['left_after_kill']} resources left (expected), next run "
        f"warned: {report['warned']}, after `lab down --stale`: {report['left_after_stale']} left")
    return report


def _kill_orphan_load(out: Path) -> list[int]:
    """Kill what `chaos lab down --stale` left of the load generator (it should be
    nothing); returns the pids that were still there."""
    left = _orphan_load(out)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def _orphan_load(out: Path) -> list[int]:
    """Locust processes of the run writing to ``out``: SIGKILL of the orchestrator
    orphans them (they run in their own session)."""
    marker = f"CHAOS_OBS_FILE={out}".encode()
    found = []
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            if marker in (proc_dir / "environ").read_bytes():
                found.append(int(proc_dir.name))
        except OSError:
            continue
    return found


def run_harness(n: int = 20, seed: int = 7, sigkill: bool = True, log=print,
                phases: list[str] | None = None) -> dict:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="chaos-interrupt-"))
    scenarios = {}
    for phase, doc in (("default", SCENARIO), *PHASE_SCENARIOS.items()):
        scenarios[phase] = work / f"scenario-{phase}.yaml"
        scenarios[phase].write_text(yaml.safe_dump(doc, sort_keys=False))
    scenario = scenarios["default"]
    tries = []
    for i in range(n):
        phase = (phases or PHASES)[i % len(phases or PHASES)]
        signum = signal.SIGINT if i % 2 == 0 else signal.SIGTERM
        tries.append(one_try(i + 1, phase, signum, scenarios, work, rng, log))
    killed = sigkill_then_stale(scenario, work, log) if sigkill else None
    summary = {"tries": len(tries), "leaks": sum(len(t.leaks) for t in tries),
               "problems": sum(len(t.problems) for t in tries), "work": str(work),
               "by_phase": {}, "sigkill": killed, "details": [t.__dict__ for t in tries]}
    for phase in PHASES:
        mine = [t for t in tries if t.phase == phase]
        if not mine:
            continue
        summary["by_phase"][phase] = {"tries": len(mine), "leaks": sum(len(t.leaks) for t in mine),
                                      "problems": sum(len(t.problems) for t in mine),
                                      "aborted": sum(t.status == "aborted" for t in mine),
                                      "mid_step": sum(bool(t.mid_step) for t in mine)}
    return summary


def print_table(summary: dict) -> None:
    print(f"\n{'phase':<14}{'tries':>6}{'aborted':>9}{'leaks':>7}{'problems':>10}")
    for phase, row in summary["by_phase"].items():
        print(f"{phase:<14}{row['tries']:>6}{row['aborted']:>9}{row['leaks']:>7}{row['problems']:>10}")
    print(f"{'total':<14}{summary['tries']:>6}{'':>9}{summary['leaks']:>7}{summary['problems']:>10}")
    k = summary.get("sigkill")
    if k:
        print(f"SIGKILL: left {k['left_after_kill']} after kill, next run warned {k['warned']}, "
              f"left {k['left_after_stale']} after `chaos lab down --stale`")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20, help="interruptions (default 20)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-sigkill", action="store_true")
    ap.add_argument("--phases", help=f"comma-separated, of {','.join(PHASES)} (default all)")
    ap.add_argument("--json", type=Path, help="also write the summary here")
    args = ap.parse_args()
    phases = args.phases.split(",") if args.phases else None
    if phases and set(phases) - set(PHASES):
        ap.error(f"unknown phase(s): {sorted(set(phases) - set(PHASES))}")
    summary = run_harness(args.n, args.seed, sigkill=not args.no_sigkill, phases=phases)
    print_table(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    k = summary.get("sigkill") or {}
    bad = summary["leaks"] or summary["problems"] or (k and (not k.get("warned")
                                                             or k.get("left_after_stale")))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
