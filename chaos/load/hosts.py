"""The load hosts of a trial, as the observation stream's event lines describe them.

    hosts = LoadHosts()
    hosts.apply({"ev": "host", "w": "gen-a", "addr": "10.0.0.2", "offset": 2.0003, ...})
    hosts.joined()        # names, in the order they joined
    hosts.lost()          # [(name, last instant)] of hosts that went silent mid-trial
    hosts.host_records(goal)   # what result.json keeps (provenance, offsets, losses)

Events come from the Locust master (``chaos/load/proc/obschannel.py``) or, without
workers, from the single Locust process (one host, ``local``, on this clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaos.record import LoadHostRecord

#: TTD/TTM accuracy goal (docs/benchmarks.md, "1. Accuracy"): a load host's clock offset
#: known less well than this is named in the record.
ACCURACY_GOAL_S = 0.25


@dataclass
class LoadHost:
    """A load host as the stream describes it while the trial runs: what result.json keeps
    of it (``record``, filled in event by event) and what only the live stream needs."""

    record: LoadHostRecord
    joined_at: float | None = None       # wall clock of this host (the orchestrator's)
    clock_updates: int = 0

    @property
    def name(self) -> str:
        return self.record.name

    def recorded(self, goal_s: float) -> LoadHostRecord:
        """The record with what is known only at the end: did it join, was it lost, is its
        clock offset known no better than the accuracy goal. Every field is written."""
        r = self.record
        return LoadHostRecord.model_validate({
            **r.model_dump(), "joined": self.joined_at is not None, "lost": r.lost_at is not None,
            "uncertain": (None if r.offset_uncertainty_s is None
                          else r.offset_uncertainty_s > goal_s)})


class LoadHosts:
    def __init__(self) -> None:
        self.by_name: dict[str, LoadHost] = {}
        self.new_events: list[dict[str, Any]] = []

    def apply(self, ev: dict[str, Any]) -> None:
        name = str(ev.get("w", "?"))
        h = self.by_name.get(name)
        if h is None:
            h = self.by_name[name] = LoadHost(LoadHostRecord(name=name))
        r, kind = h.record, ev.get("ev")
        if kind == "host":
            r.hostname, r.address = str(ev.get("hostname") or ""), str(ev.get("addr") or "")
            r.locust, r.pid = str(ev.get("locust") or ""), ev.get("pid")
            r.offset_s, r.offset_uncertainty_s = ev.get("offset"), ev.get("unc")
            h.joined_at = ev.get("at")
        elif kind == "clock":
            r.offset_s, r.offset_uncertainty_s = ev.get("offset"), ev.get("unc")
            h.clock_updates += 1
        elif kind == "lost":
            r.lost_at, r.in_flight_at_loss = ev.get("last"), ev.get("in_flight")
            r.unknown_writes, r.received = int(ev.get("unknown_writes") or 0), ev.get("received")
            r.unreported_estimate = unreported(h, float(ev.get("flush_s") or 0.0))
        elif kind == "done":
            r.sent, r.received, r.users = ev.get("sent"), ev.get("received"), ev.get("users")
            r.missing_batches = int(ev.get("gaps") or 0)
        self.new_events.append(ev)

    def take_events(self) -> list[dict[str, Any]]:
        out, self.new_events = self.new_events, []
        return out

    def joined(self) -> list[str]:
        return [h.name for h in self.by_name.values() if h.joined_at is not None]

    def lost(self) -> list[tuple[str, float | None]]:
        return [(h.name, h.record.lost_at) for h in self.by_name.values()
                if h.record.lost_at is not None]

    def missing_message(self, expect: int, names: list[str], timeout: float,
                        master: tuple[str, int] | None, master_gone: bool = False) -> str:
        joined = [self.by_name[n] for n in self.joined()]
        seen = ", ".join(f"{h.name} ({h.record.address or '?'})" for h in joined) or "none"
        missing = [n for n in names if n not in self.by_name] if names else []
        unnamed = expect - len(joined) - len(missing)
        who = ", ".join(missing + ([f"{unnamed} unnamed"] if unnamed > 0 else []))
        where = f" on {master[0]}:{master[1]}" if master else ""
        why = "the Locust master exited" if master_gone else f"after {timeout:g} s"
        return (f"{len(joined)} of {expect} load workers joined the master{where} ({why}): "
                f"joined: {seen}; missing: {who or '?'}. Start each with "
                f"`chaos worker --master HOST:PORT --name NAME` (see docs/scaling.md)")

    def host_records(self, goal_s: float) -> list[LoadHostRecord]:
        """One record per load host, for result.json (``LoadHost.recorded``)."""
        return [h.recorded(goal_s) for h in self.by_name.values()]


def unreported(h: LoadHost, flush_s: float) -> int | None:
    """About how many requests a lost host had answered since its last batch: its rate
    over its life times one batch interval (which of them, nobody can know)."""
    lost_at, received = h.record.lost_at, h.record.received
    if h.joined_at is None or lost_at is None or not received:
        return None
    life = lost_at - h.joined_at
    return round(received / life * flush_s) if life > 0 else None
