"""Which route of the Alertmanager configuration an alert takes, by Alertmanager's own
routing (``amtool config routes test``), and so which ``group_wait`` it waits.

    verdict = route_of(config, {"alertname": "QueueStuck", "severity": "page"},
                       receiver="pagerduty")
    verdict.route.group_wait      # "10s": the sub-route's, not the top route's 30s
    verdict.verified              # False when amtool could not be run: then the top
    verdict.note                  # route's timings, and why they are unverified

amtool answers with receiver names, not routes: it is given a copy of the
configuration in which every route has a receiver of its own
(:func:`chaos.lab.observability.amroutes.tagged_copy`), so its answer names the routes. It runs on
the host when it is on PATH, else in the observability image
(:mod:`chaos.lab.observability.tools`, a container labelled ``chaos.lab=amtool``).
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chaos.errors import LabError
from chaos.lab.observability.amroutes import Route, route_tree, tagged_copy
from chaos.lab.observability.tools import run_tool

TOOL = "amtool"


@dataclass(frozen=True)
class RouteVerdict:
    route: Route                  # the route whose timings are recorded
    matched: tuple[Route, ...]    # every route amtool matched, in the tree's order
    verified: bool                # amtool said so; False: the top route, a guess
    note: str | None = None       # why unverified, or what did not fit

    def as_record(self) -> dict[str, Any]:
        return {**self.route.as_dict(), "verified": self.verified, "note": self.note,
                "matched": [r.path for r in self.matched]}


def matched_routes(config: dict[str, Any], labels: dict[str, str], *,
                   use_host: bool | None = None, client: Any = None) -> list[Route]:
    """The routes Alertmanager sends an alert with these labels through (several with
    ``continue: true``); LabError when amtool cannot be run or says the configuration
    is wrong."""
    tagged, by_name = tagged_copy(config)
    with tempfile.TemporaryDirectory(prefix="chaos-amtool-") as tmp:
        file = Path(tmp) / "alertmanager.yml"
        file.write_text(yaml.safe_dump(tagged, sort_keys=False), encoding="utf-8")
        run = run_tool(TOOL, [file], lambda f: ["config", "routes", "test",
                                                f"--config.file={f[0]}", *_label_args(labels)],
                       use_host=use_host, client=client)
    names = [n for n in run.stdout.strip().split(",") if n]
    if run.code != 0 or not names or any(n not in by_name for n in names):
        why = (run.stderr.strip().splitlines() or [run.stdout.strip() or "(no output)"])[-1]
        raise LabError(f"amtool config routes test failed (exit {run.code}): {why}")
    return [by_name[n] for n in names]


def _label_args(labels: dict[str, str]) -> list[str]:
    # amtool reads each argument as a matcher: a quoted value keeps its commas, spaces
    # and quotes.
    def quoted(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return [f'{k}="{quoted(str(v))}"' for k, v in sorted(labels.items())]


def route_of(config: dict[str, Any], labels: dict[str, str], receiver: str | None = None,
             *, use_host: bool | None = None) -> RouteVerdict:
    """The route an alert with these labels took: of the routes amtool matches, the
    one whose receiver delivered the notification (``receiver``), else the first.
    Never raises for amtool: unverified, with the top route and the reason."""
    tree = route_tree(config)
    if len(tree) == 1:   # every alert takes the top route: nothing for amtool to decide
        return RouteVerdict(tree[0], (tree[0],), True)
    key = yaml.safe_dump(config, sort_keys=True)
    try:
        matched = _cached(key, tuple(sorted(labels.items())), use_host)
    except LabError as exc:
        return RouteVerdict(tree[0], (), False,
                            f"amtool gave no answer: {str(exc)[:300]}")
    mine = [r for r in matched if r.receiver == receiver] if receiver else list(matched)
    note = None
    if not mine:
        note = (f"the notification came through receiver {receiver!r}, which amtool does "
                "not route these labels to: the first route it matched")
    return RouteVerdict((mine or list(matched))[0], matched, True, note)


@functools.lru_cache(maxsize=64)
def _cached(config_text: str, labels: tuple[tuple[str, str], ...],
            use_host: bool | None) -> tuple[Route, ...]:
    # Every trial of a run asks the same question; an image's amtool costs a container.
    config = yaml.safe_load(config_text)
    return tuple(matched_routes(config, dict(labels), use_host=use_host))
