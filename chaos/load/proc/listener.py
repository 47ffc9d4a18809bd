"""chaos's per-request stream, attached to any locustfile (``-f theirs.py,...,listener.py``).

This file defines no User, only listeners, so the user's locustfile runs unchanged.
Every request becomes one JSON line of ``$CHAOS_OBS_FILE``, the file the orchestrator
tails:

    {"t": <wall-clock start, s>, "ms": <latency>, "ok": true, "st": 201,
     "n": "<request name>", "ref": "<write reference>", "w": "<load host>"}

``ok`` is Locust's own verdict (no exception: the status, or the locustfile's
``catch_response`` checks, said success); a failed request also has ``"err"``, why.
A task that raises (Locust's ``user_error``: say a request its client refused to
build, so no request event fired) is one failed line too, named ``task error: <the
task's function>``: what it was to send was not sent, and a request never sent must
not vanish from the measurement. ``ref`` is present for writes only:
a request is a write when its Locust ``context`` carries ``write_ref`` — the
contract a locustfile follows, e.g. ``self.client.post(..., context={"write_ref": key})``.

Who writes the file: a single Locust process writes it itself; in distributed mode the
workers send their requests to the master over Locust's own connection and the master
writes them, on the orchestrator's clock (``obschannel``). Either way one file, one writer.
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

import gevent  # type: ignore[import-untyped]
import locust
from greenlet import getcurrent  # type: ignore[import-untyped]
from locust import events
from locust.clients import HttpSession
from locust.contrib.fasthttp import FastHttpSession

try:
    from chaos.load.proc import obschannel
except ImportError:   # a load host without chaos: the master sent obschannel.py beside us
    import obschannel  # type: ignore[import-not-found,no-redef]

WRITE_REF = "write_ref"
MAX_REASON = 200
_LOCUST_DIR = os.path.dirname(locust.__file__)


class Flight:
    """Requests sent and not yet answered, by the user (greenlet) that sent them, so that a
    load host lost mid-request can say what it had in flight and which writes."""

    def __init__(self) -> None:
        self.active: dict[Any, tuple[str | None, float, str]] = {}

    def begin(self, context: Any, name: str) -> None:
        ref = context.get(WRITE_REF) if isinstance(context, dict) else None
        self.active[getcurrent()] = (str(ref) if ref else None, time.time(), name)

    def end(self) -> None:
        self.active.pop(getcurrent(), None)

    def writes(self) -> list[list[Any]]:
        return [[ref, t, name] for ref, t, name in self.active.values() if ref]


FLIGHT = Flight()
_sink: Any = None     # a LocalSink, a WorkerSide, or None (a master sends no request)


def _tracked(request: Any) -> Any:
    def send(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        FLIGHT.begin(kwargs.get("context"), str(kwargs.get("name") or url))
        try:
            return request(self, method, url, *args, **kwargs)
        except BaseException:
            FLIGHT.end()
            raise
    return send


def _track_requests() -> None:
    """Only where a host can be lost apart from the run (a worker): there its requests in
    flight are worth their cost per request; a single process dies with the run."""
    HttpSession.request = _tracked(HttpSession.request)  # type: ignore[method-assign]
    FastHttpSession.request = _tracked(FastHttpSession.request)  # type: ignore[method-assign]


class LocalSink:
    """A single Locust process: its own rows into the file, flushed a few times a second."""

    def __init__(self, environment: Any) -> None:
        self.file = obschannel.FileSink(os.environ.get("CHAOS_OBS_FILE", "observations.jsonl"))
        self.runner = environment.runner
        self.file.event("host", w="local", hostname=os.uname().nodename, addr="127.0.0.1",
                        locust=locust.__version__, pid=os.getpid(), offset=0.0, unc=0.0)
        self.sent = 0
        self.users = 0
        environment.events.spawning_complete.add_listener(self._spawned)
        # Not at `quitting`: Locust fires it before it stops the users, whose requests in
        # flight then end and are written; `quit` comes after, just before the exit.
        environment.events.quitting.add_listener(lambda **_: self.file.flush())
        environment.events.quit.add_listener(self.close)
        gevent.spawn(self._flusher)

    def add(self, row: obschannel.Row) -> None:
        self.file.rows([row])
        self.sent += 1

    def _spawned(self, user_count: int, **_kw: Any) -> None:
        self.users = max(self.users, user_count)

    def _flusher(self) -> None:
        while True:
            gevent.sleep(obschannel.FLUSH_EVERY / 2)
            self.file.flush()

    def close(self, **_kw: Any) -> None:
        self.file.event("done", w="local", sent=self.sent, received=self.sent,
                        users=max(self.users, self.runner.user_count), gaps=0)
        self.file.flush()


@events.init.add_listener  # type: ignore[untyped-decorator]  # Locust's is untyped
def _attach(environment: Any, **_kw: Any) -> None:
    global _sink
    from locust.runners import MasterRunner, WorkerRunner

    runner = environment.runner
    if isinstance(runner, MasterRunner):
        path = os.environ.get("CHAOS_OBS_FILE", "observations.jsonl")
        obschannel.MasterSide(environment, obschannel.FileSink(path))
    elif isinstance(runner, WorkerRunner):
        _track_requests()
        _sink = obschannel.WorkerSide(environment, FLIGHT)
    else:
        _sink = LocalSink(environment)


@events.request.add_listener  # type: ignore[untyped-decorator]  # Locust's is untyped
def record(request_type: str, name: str, response_time: float | None, response: Any,
           context: Any, exception: BaseException | None, start_time: float,
           **_kw: Any) -> None:
    FLIGHT.end()
    status = getattr(response, "status_code", 0) or 0
    ref = context.get(WRITE_REF) if isinstance(context, dict) else None
    if _sink is not None:
        _sink.add([round(start_time, 6), round(response_time or 0.0, 3), exception is None,
                   status, str(name)[:200], str(ref) if ref is not None and ref != "" else None,
                   reason(exception) if exception is not None else None])


@events.user_error.add_listener  # type: ignore[untyped-decorator]  # Locust's is untyped
def task_failed(user_instance: Any, exception: BaseException, tb: Any, **_kw: Any) -> None:
    FLIGHT.end()
    if _sink is not None:
        _sink.add([round(time.time(), 6), 0.0, False, 0, f"task error: {_task_name(tb)}"[:200],
                   None, reason(exception)])


def reason(exception: BaseException) -> str:
    text = str(exception) or type(exception).__name__
    return text[:MAX_REASON]


def _task_name(tb: Any) -> str:
    """The function of the locustfile the exception left: the innermost frame outside
    Locust's own code and below its task runner (else ``?``)."""
    for frame, _ in traceback.walk_tb(tb):
        if not frame.f_code.co_filename.startswith(_LOCUST_DIR):
            return frame.f_code.co_name
    return "?"
