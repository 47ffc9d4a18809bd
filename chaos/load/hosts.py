"""The load hosts of a trial, as the observation stream's event lines describe them.

    hosts = LoadHosts()
    hosts.apply({"ev": "host", "w": "gen-a", "addr": "10.0.0.2", "offset": 2.0003, ...})
    hosts.joined()        # names, in the order they joined
    hosts.lost()          # [(name, last instant)] of hosts that went silent mid-trial
    hosts.records(goal)   # what result.json keeps (provenance, offsets, losses)

Events come from the Locust master (``chaos/load/proc/obschannel.py``) or, without
workers, from the single Locust process (one host, ``local``, on this clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: TTD/TTM accuracy goal (docs/benchmarks.md, "1. Accuracy"): a load host's clock offset
#: known less well than this is named in the record.
ACCURACY_GOAL_S = 0.25


@dataclass
class LoadHost:
    name: str
    hostname: str = ""
    address: str = ""
    locust: str = ""
    pid: int | None = None
    users: int | None = None
    offset_s: float | None = None
    uncertainty_s: float | None = None
    clock_updates: int = 0
    joined_at: float | None = None       # wall clock of this host (the orchestrator's)
    lost_at: float | None = None         # the last instant it was heard from
    in_flight_at_loss: int | None = None
    unknown_writes: int = 0
    unreported_estimate: int | None = None   # answered after its last batch: never seen
    sent: int | None = None              # what it said it sent; None: it never said
    received: int | None = None          # what reached the stream
    gaps: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)


class LoadHosts:
    def __init__(self) -> None:
        self.by_name: dict[str, LoadHost] = {}
        self.new_events: list[dict[str, Any]] = []

    def apply(self, ev: dict[str, Any]) -> None:
        name = str(ev.get("w", "?"))
        h = self.by_name.setdefault(name, LoadHost(name=name))
        kind = ev.get("ev")
        if kind == "host":
            h.hostname, h.address = str(ev.get("hostname") or ""), str(ev.get("addr") or "")
            h.locust, h.pid = str(ev.get("locust") or ""), ev.get("pid")
            h.offset_s, h.uncertainty_s, h.joined_at = ev.get("offset"), ev.get("unc"), ev.get("at")
        elif kind == "clock":
            h.offset_s, h.uncertainty_s = ev.get("offset"), ev.get("unc")
            h.clock_updates += 1
        elif kind == "lost":
            h.lost_at, h.in_flight_at_loss = ev.get("last"), ev.get("in_flight")
            h.unknown_writes, h.received = int(ev.get("unknown_writes") or 0), ev.get("received")
            h.unreported_estimate = unreported(h, float(ev.get("flush_s") or 0.0))
        elif kind == "done":
            h.sent, h.received, h.users = ev.get("sent"), ev.get("received"), ev.get("users")
            h.gaps = int(ev.get("gaps") or 0)
        self.new_events.append(ev)

    def take_events(self) -> list[dict[str, Any]]:
        out, self.new_events = self.new_events, []
        return out

    def joined(self) -> list[str]:
        return [h.name for h in self.by_name.values() if h.joined_at is not None]

    def lost(self) -> list[tuple[str, float | None]]:
        return [(h.name, h.lost_at) for h in self.by_name.values() if h.lost_at is not None]

    def missing_message(self, expect: int, names: list[str], timeout: float,
                        master: tuple[str, int] | None, master_gone: bool = False) -> str:
        joined = [self.by_name[n] for n in self.joined()]
        seen = ", ".join(f"{h.name} ({h.address or '?'})" for h in joined) or "none"
        missing = [n for n in names if n not in self.by_name] if names else []
        unnamed = expect - len(joined) - len(missing)
        who = ", ".join(missing + ([f"{unnamed} unnamed"] if unnamed > 0 else []))
        where = f" on {master[0]}:{master[1]}" if master else ""
        why = "the Locust master exited" if master_gone else f"after {timeout:g} s"
        return (f"{len(joined)} of {expect} load workers joined the master{where} ({why}): "
                f"joined: {seen}; missing: {who or '?'}. Start each with "
                f"`chaos worker --master HOST:PORT --name NAME` (see docs/scaling.md)")

    def records(self, goal_s: float) -> list[dict[str, Any]]:
        """One entry per load host, for result.json; ``uncertain`` when its clock offset is
        known no better than the accuracy goal."""
        out = []
        for h in self.by_name.values():
            out.append({
                "name": h.name, "hostname": h.hostname, "address": h.address,
                "locust": h.locust, "pid": h.pid, "users": h.users, "offset_s": h.offset_s,
                "offset_uncertainty_s": h.uncertainty_s,
                "uncertain": None if h.uncertainty_s is None else h.uncertainty_s > goal_s,
                "joined": h.joined_at is not None, "lost": h.lost_at is not None,
                "lost_at": h.lost_at, "in_flight_at_loss": h.in_flight_at_loss,
                "unknown_writes": h.unknown_writes,
                "unreported_estimate": h.unreported_estimate, "sent": h.sent,
                "received": h.received,
                "missing_batches": h.gaps})
        return out


def unreported(h: LoadHost, flush_s: float) -> int | None:
    """About how many requests a lost host had answered since its last batch: its rate
    over its life times one batch interval (which of them, nobody can know)."""
    if h.joined_at is None or h.lost_at is None or not h.received:
        return None
    life = h.lost_at - h.joined_at
    return round(h.received / life * flush_s) if life > 0 else None
