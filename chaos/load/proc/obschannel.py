"""The observation stream of a distributed Locust run, over Locust's own master connection.

Runs in Locust processes (``locust -f ...,clocksync.py,obschannel.py,listener.py``), the
master's and the workers', local or on other hosts. Workers need Locust and nothing of
chaos: with ``-f -`` the master sends them these files.

- A worker (``WorkerSide``) sends its requests in batches (``chaos_obs``, every
  ``FLUSH_EVERY`` s, empty ones too: they say it is alive), with a sequence number, what
  it has in flight, and a final batch holding its total when its users stopped.
- The master (``MasterSide``) pings every worker (``chaos_ping``/``chaos_pong``, once a
  second and a burst when it joins) to measure its clock offset (``clocksync``), writes
  each request as one JSON line of ``$CHAOS_OBS_FILE`` on the orchestrator's clock with
  the worker's name, and writes what it learns of the load hosts as event lines
  (``{"ev": "host"|"clock"|"lost"|"done", "w": name, ...}``).
- A worker silent for ``LOST_AFTER`` s is lost: its last instant, the requests it had in
  flight and the writes among them (each written as a request whose outcome is unknown)
  are recorded; what it sent before stays.

Why custom messages rather than data on Locust's ``report_to_master``: that report goes
every 3 s, too late for a detector that must fire within a second, and its final
report races the master's exit; a message of our own goes when we choose.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from typing import Any, TextIO

import gevent  # type: ignore[import-untyped]
import locust

try:
    from chaos.load.proc.clocksync import ClockEstimate
except ImportError:   # a load host without chaos: the master sent clocksync.py beside us
    from clocksync import ClockEstimate  # type: ignore[import-not-found,no-redef]

FLUSH_EVERY = 0.1
PING_EVERY = 1.0
BURST = 8           # round trips right after a worker joins
LOST_AFTER = float(os.environ.get("CHAOS_WORKER_LOST_AFTER", "3"))
DRAIN_S = 5.0       # how long the master waits for final batches after the users stopped
UNKNOWN = "the load host was lost before the answer"
WORKER_NAME_ENV = "CHAOS_WORKER_NAME"   # chaos.load.runner sets it for local workers

# One request on the wire: [start (worker clock), ms, ok, status, name, ref, error]
Row = list[Any]
#: A string as JSON (quoted and escaped; the C encoder the json module itself uses).
_text = json.encoder.encode_basestring_ascii


def _line(row: Row, shift: float, tail: str) -> str:
    t, ms, ok, st, name, ref, err = row
    line = (f'{{"t":{round(t - shift, 6)!r},"ms":{float(ms)!r},'
            f'"ok":{"true" if ok else "false"},"st":{int(st)},"n":{_text(name)}')
    if err is not None:
        line += ',"err":' + _text(err)
    if ref is not None:
        line += ',"ref":' + _text(ref)
    return line + tail


class FileSink:
    """JSON lines into the file the orchestrator tails; flushed after each batch."""

    def __init__(self, path: str) -> None:
        self.f: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115  # the process's life

    def rows(self, rows: list[Row], shift: float = 0.0, worker: str | None = None,
             lost: bool = False) -> None:
        """One line per request, formatted here rather than by ``json.dumps`` of a dict:
        this runs for every request, and the strings alone need JSON's escaping."""
        tail = (f',"w":{_text(worker)}' if worker is not None else "") + \
            (',"lost":true' if lost else "") + "}\n"
        self.f.write("".join(_line(row, shift, tail) for row in rows))

    def event(self, ev: str, **fields: Any) -> None:
        self.f.write(json.dumps({"ev": ev, "at": round(time.time(), 6), **fields},
                                separators=(",", ":")) + "\n")

    def flush(self) -> None:
        self.f.flush()


def own_address(master_host: str, master_port: int) -> str:
    """The address this host reaches the master from (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((master_host, master_port))
            addr: str = s.getsockname()[0]
            return addr
    except OSError:
        return ""


class WorkerSide:
    def __init__(self, environment: Any, flight: Any) -> None:
        self.runner = environment.runner
        self.flight = flight
        self.name = os.environ.get(WORKER_NAME_ENV) or socket.gethostname()
        self.identity = {"name": self.name, "hostname": socket.gethostname(),
                         "addr": own_address(self.runner.master_host, self.runner.master_port),
                         "locust": locust.__version__, "pid": os.getpid()}
        self.buf: list[Row] = []
        self.seq = 0
        self.sent = 0
        self.runner.register_message("chaos_ping", self.on_ping)
        environment.events.test_stop.add_listener(lambda **_: self.flush(final=True))
        environment.events.quitting.add_listener(lambda **_: self.flush(final=True))
        gevent.spawn(self._flusher)

    def add(self, row: Row) -> None:
        self.buf.append(row)

    def _flusher(self) -> None:
        while True:
            gevent.sleep(FLUSH_EVERY)
            self.flush()

    def flush(self, final: bool = False) -> None:
        batch, self.buf = self.buf, []
        self.seq += 1
        self.sent += len(batch)
        data: dict[str, Any] = {"seq": self.seq, "obs": batch, "fl": len(self.flight.active),
                                "pw": self.flight.writes()}
        if final:
            data["final"] = self.sent
        self.runner.send_message("chaos_obs", data)

    def on_ping(self, environment: Any, msg: Any, **_kw: Any) -> None:
        t2 = time.time()
        self.runner.send_message("chaos_pong", {"t1": msg.data["t1"], "t2": t2,
                                                "t3": time.time(), **self.identity})


class Host:
    """What the master knows of one worker."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.name = client_id
        self.identity: dict[str, Any] | None = None
        self.clock = ClockEstimate()
        self.reported: tuple[float, float] | None = None   # the offset and uncertainty last written
        self.last_seen = time.time()
        self.seq = 0
        self.gaps = 0
        self.received = 0
        self.final: int | None = None
        self.in_flight = 0
        self.pending: list[list[Any]] = []
        self.held: list[Row] = []      # requests that came before the first round trip
        self.users = 0
        self.lost = False


class MasterSide:
    def __init__(self, environment: Any, sink: FileSink) -> None:
        self.env = environment
        self.runner = environment.runner
        self.sink = sink
        self.hosts: dict[str, Host] = {}
        self.runner.register_message("chaos_obs", self.on_obs)
        self.runner.register_message("chaos_pong", self.on_pong)
        events = environment.events
        events.worker_connect.add_listener(self.on_connect)
        events.worker_report.add_listener(self.on_report)
        events.quitting.add_listener(self.on_quitting)
        gevent.spawn(self._pinger)
        gevent.spawn(self._watchdog)
        # Locust installs its SIGTERM handler only once every expected worker joined:
        # until then a SIGTERM would kill the master silently and leave the workers that
        # did join waiting a minute for its heartbeat. Tell them to quit first.
        gevent.signal_handler(signal.SIGTERM, self._terminated_early)

    def _terminated_early(self) -> None:
        from locust.runners import STATE_INIT

        if self.runner.state != STATE_INIT:
            return      # the test started: Locust's own handler (also called) shuts down
        for h in self.hosts.values():
            self.runner.send_message("quit", None, client_id=h.client_id)
        self.sink.flush()
        gevent.sleep(0.3)          # let the messages leave
        os._exit(143)

    def host(self, client_id: str) -> Host:
        if client_id not in self.hosts:
            self.hosts[client_id] = Host(client_id)
        return self.hosts[client_id]

    # ---- clocks ----------------------------------------------------------------------

    def ping(self, client_id: str) -> None:
        self.runner.send_message("chaos_ping", {"t1": time.time()}, client_id=client_id)

    def on_connect(self, client_id: str, **_kw: Any) -> None:
        self.host(client_id)

        def burst() -> None:
            gevent.sleep(0.5)       # the worker registers its handler just after it joins
            for _ in range(BURST):
                self.ping(client_id)
                gevent.sleep(0.03)
        gevent.spawn(burst)

    def _pinger(self) -> None:
        while True:
            gevent.sleep(PING_EVERY)
            for h in list(self.hosts.values()):
                if not h.lost and h.final is None:
                    self.ping(h.client_id)

    def on_pong(self, environment: Any, msg: Any, **_kw: Any) -> None:
        t4 = time.time()
        d = msg.data
        h = self.host(msg.node_id)
        h.last_seen = t4
        h.clock.add(d["t1"], d["t2"], d["t3"], t4)
        best = h.clock.best()
        assert best is not None
        if h.identity is None:
            h.identity = {k: d.get(k) for k in ("hostname", "addr", "locust", "pid")}
            h.name = str(d.get("name") or h.client_id)
            self.sink.event("host", w=h.name, id=h.client_id, **h.identity,
                            offset=round(best.offset, 6), unc=round(best.uncertainty, 6))
            h.reported = (best.offset, best.uncertainty)
            if h.held:
                self.write(h, h.held)
                h.held = []
        elif h.reported is None or abs(best.offset - h.reported[0]) > 0.0005 or \
                abs(best.uncertainty - h.reported[1]) > 0.0005:
            self.sink.event("clock", w=h.name, offset=round(best.offset, 6),
                            unc=round(best.uncertainty, 6), samples=h.clock.count)
            h.reported = (best.offset, best.uncertainty)
        self.sink.flush()

    # ---- requests --------------------------------------------------------------------

    def write(self, h: Host, rows: list[Row]) -> None:
        best = h.clock.best()
        self.sink.rows(rows, shift=best.offset if best is not None else 0.0, worker=h.name)

    def on_obs(self, environment: Any, msg: Any, **_kw: Any) -> None:
        d = msg.data
        h = self.host(msg.node_id)
        h.last_seen = time.time()
        if d["seq"] <= h.seq:
            return               # a batch seen already (a resent message): never twice
        h.gaps += d["seq"] - h.seq - 1
        h.seq = d["seq"]
        h.received += len(d["obs"])
        h.in_flight, h.pending = d["fl"], d["pw"]
        if "final" in d:
            h.final = d["final"]
        if h.identity is None:
            h.held.extend(d["obs"])
        elif d["obs"]:
            self.write(h, d["obs"])
            self.sink.flush()

    def on_report(self, client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        if client_id in self.hosts:
            h = self.hosts[client_id]
            h.users = max(h.users, int(data.get("user_count") or 0))

    # ---- loss and the end ------------------------------------------------------------

    def _watchdog(self) -> None:
        while True:
            gevent.sleep(0.25)
            now = time.time()
            for h in list(self.hosts.values()):
                if not h.lost and h.final is None and now - h.last_seen > LOST_AFTER:
                    self.lose(h)

    def lose(self, h: Host) -> None:
        h.lost = True
        self.write(h, h.held)
        h.held = []
        best = h.clock.best()
        shift = best.offset if best is not None else 0.0
        unknown = [[t, round((h.last_seen - (t - shift)) * 1000, 3), False, 0, name, ref,
                    UNKNOWN] for ref, t, name in h.pending]
        self.sink.event("lost", w=h.name, last=round(h.last_seen, 6), in_flight=h.in_flight,
                        unknown_writes=len(unknown), received=h.received, flush_s=FLUSH_EVERY)
        if unknown:
            self.sink.rows(unknown, shift=shift, worker=h.name, lost=True)
        self.sink.flush()

    def on_quitting(self, **_kw: Any) -> None:
        """Stop the users on every worker first, so that their last requests come back
        in final batches, then wait (bounded) for those batches."""
        from locust.runners import STATE_RUNNING, STATE_SPAWNING

        if self.runner.state in (STATE_RUNNING, STATE_SPAWNING):
            with gevent.Timeout(self.env.stop_timeout + 15, False):
                self.runner.stop()
        deadline = time.time() + DRAIN_S
        while time.time() < deadline and any(h.final is None and not h.lost
                                             for h in self.hosts.values()):
            gevent.sleep(0.05)
        for h in self.hosts.values():
            if not h.lost:
                self.write(h, h.held)
                self.sink.event("done", w=h.name, sent=h.final, received=h.received,
                                users=h.users, gaps=h.gaps)
                # A stopped worker left Locust's list of clients, so the master's own
                # quit would not reach it: it would wait a minute for a heartbeat.
                self.runner.send_message("quit", None, client_id=h.client_id)
        self.sink.flush()
