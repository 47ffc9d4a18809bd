"""Alertmanager's routing tree as its configuration writes it: every route with the
timings it has once the unset ones are inherited, and a copy of the configuration in
which each route has a receiver of its own.

    tree = route_tree(config)
    tree[0].path, tree[0].group_wait          # "route", "30s": Alertmanager's default
    tree[1].path, tree[1].group_wait          # "route.routes[0]", "10s": its own
    tagged, by_name = tagged_copy(config)     # by_name["chaos-route-1"] is tree[1]

Which routes an alert takes is Alertmanager's own verdict (:mod:`chaos.lab.observability.amtool`),
never worked out here: matchers, ``continue`` and sibling order are its to apply.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

from chaos.lab.observability.stack import AM_DEFAULTS

TIMINGS = ("group_wait", "group_interval", "repeat_interval")
TAG = "chaos-route-"


@dataclass(frozen=True)
class Route:
    path: str                  # where it is written: route.routes[0].routes[1]
    receiver: str              # its own or its parent's: what a notification carries
    matchers: tuple[str, ...]  # as written (match, match_re, matchers), for the reader
    group_wait: str
    group_interval: str
    repeat_interval: str

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "matchers": list(self.matchers)}


def route_tree(config: dict[str, Any]) -> list[Route]:
    """Every route, depth first in the order written (amtool's order), the top one first."""
    top = config.get("route")
    if not isinstance(top, dict):
        return [Route("route", "", (), *(AM_DEFAULTS[k] for k in TIMINGS))]
    return list(_walk(top, "route", None))


def _walk(node: dict[str, Any], path: str, parent: Route | None) -> Any:
    # Alertmanager's NewRoute: a route starts from its parent's options (the top one from
    # the defaults) and overrides only what it sets.
    inherited = {k: getattr(parent, k) if parent else AM_DEFAULTS[k] for k in TIMINGS}
    route = Route(path=path,
                  receiver=str(node.get("receiver") or (parent.receiver if parent else "")),
                  matchers=_matchers(node),
                  **{k: str(node[k]) if node.get(k) is not None else inherited[k]
                     for k in TIMINGS})
    yield route
    children = node.get("routes")
    for i, child in enumerate(children if isinstance(children, list) else []):
        if isinstance(child, dict):
            yield from _walk(child, f"{path}.routes[{i}]", route)


def _matchers(node: dict[str, Any]) -> tuple[str, ...]:
    found = [f'{k}="{v}"' for k, v in _mapping(node.get("match")).items()]
    found += [f'{k}=~"{v}"' for k, v in _mapping(node.get("match_re")).items()]
    written = node.get("matchers")
    found += [str(m) for m in written] if isinstance(written, list) else []
    return tuple(found)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def tagged_copy(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Route]]:
    """The configuration with route number *i* (in :func:`route_tree`'s order) sending to
    a receiver ``chaos-route-<i>`` of its own, and which route each name stands for:
    amtool answers with receivers, and two routes may share one."""
    tagged = copy.deepcopy(config)
    tree = route_tree(config)
    nodes = list(_nodes(tagged.get("route") or {}))
    for i, node in enumerate(nodes):
        node["receiver"] = f"{TAG}{i}"
    tagged["receivers"] = [{"name": f"{TAG}{i}"} for i in range(len(nodes))]
    return tagged, {f"{TAG}{i}": route for i, route in enumerate(tree)}


def _nodes(node: dict[str, Any]) -> Any:
    yield node
    children = node.get("routes")
    for child in children if isinstance(children, list) else []:
        if isinstance(child, dict):
            yield from _nodes(child)
