"""Lab start with the alerting stack versus without, alternating.

    python -m benchmarks.observe_start --pairs 5

Two scenarios on the sample lab that differ only in ``observe.prometheus``
(Prometheus, Alertmanager and the receiver; the sample's rule file), started
with ``chaos lab up --scenario FILE`` in turn (warm images). The start is timed until
the lab is healthy and, with the stack, until Prometheus and Alertmanager say
ready; each lab is torn down (untimed) before the next start. Prints one JSON
line per start and a summary: the extra seconds (with - without, per pair).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.common import REPO, chaos, emit, spread
from chaos import sample

RULES = REPO / "compose" / "prometheus" / "rules" / "slo-burn-rate.yml"


def scenarios(work: Path) -> dict[str, Path]:
    base = {"name": "lab start", "lab": sample.lab(), "load": sample.load(1),
            "faults": [{"type": "kill", "target": "db", "at": "5s"}],
            "recovery": {"trigger": "none"}}
    docs = {"without": base,
            "with": {**base, "observe": {"prometheus": {
                "targets": [{"service": "app", "port": 8080}], "rule_files": [str(RULES)]}}}}
    paths = {}
    for name, doc in docs.items():
        paths[name] = work / f"{name}.yaml"
        paths[name].write_text(yaml.safe_dump(doc, sort_keys=False))
    return paths


def start(path: Path) -> float:
    t0 = time.monotonic()
    up = chaos("lab", "up", "--scenario", str(path), "--allow-outside-files")
    took = time.monotonic() - t0
    lab_id = re.search(r"chaos lab down (\S+)", up.stdout)
    if lab_id:
        chaos("lab", "down", lab_id[1])
    if up.returncode != 0:
        raise RuntimeError(up.stdout[-800:] + up.stderr[-800:])
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args()
    paths = scenarios(Path(tempfile.mkdtemp(prefix="chaos-observe-start-")))
    times: dict[str, list[float]] = {"without": [], "with": []}
    for i in range(args.pairs):
        for how in (["without", "with"] if i % 2 == 0 else ["with", "without"]):
            took = start(paths[how])
            times[how].append(took)
            emit(bench="observe_start", pair=i + 1, stack=how, seconds=round(took, 2))
    extra = [w - o for o, w in zip(times["without"], times["with"], strict=True)]
    emit(bench="observe_start", summary={"without_s": spread(times["without"]),
                                         "with_s": spread(times["with"]),
                                         "extra_s": spread(extra)})


if __name__ == "__main__":
    main()
