"""chaos's per-request stream, attached to any locustfile as a second ``-f`` file.

Locust runs ``-f theirs.py,listener.py``: this file defines no User, only a
listener on Locust's request event, so the user's locustfile runs unchanged.
Every request becomes one JSON line in ``$CHAOS_OBS_DIR/obs-<pid>.jsonl``:

    {"t": <wall-clock start, s>, "ms": <latency>, "ok": true, "st": 201,
     "n": "<request name>", "ref": "<write reference>"}

``ok`` is Locust's own verdict (no exception: the status, or the locustfile's
``catch_response`` checks, said success); a failed request also has ``"err"``, why.
A task that raises (Locust's ``user_error``: say a request its client refused to
build, so no request event fired) is one failed line too, named ``task error: <the
task's function>``: what it was to send was not sent, and a request never sent must
not vanish from the measurement. ``ref`` is present for writes only:
a request is a write when its Locust ``context`` carries ``write_ref`` — the
contract a locustfile follows, e.g. ``self.client.post(..., context={"write_ref": key})``.
One file per process, so that the listener works in Locust's distributed workers.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from typing import Any, TextIO

import locust
from locust import events

OBS_DIR = os.environ.get("CHAOS_OBS_DIR", ".")
WRITE_REF = "write_ref"
MAX_REASON = 200
_LOCUST_DIR = os.path.dirname(locust.__file__)

_sink: TextIO | None = None


def sink() -> TextIO:
    # Opened lazily in the process that sends requests: with --processes or
    # --worker, that is a forked worker, and each gets its own file.
    global _sink
    if _sink is None:
        path = os.path.join(OBS_DIR, f"obs-{os.getpid()}.jsonl")
        # line-buffered: live tail; open for the life of the process (SIM115 does not apply)
        _sink = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    return _sink


@events.request.add_listener  # type: ignore[untyped-decorator]  # Locust's is untyped
def record(request_type: str, name: str, response_time: float | None, response: Any,
           context: Any, exception: BaseException | None, start_time: float,
           **_kw: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    line = {"t": round(start_time, 6), "ms": round(response_time or 0.0, 3),
            "ok": exception is None, "st": status, "n": str(name)[:200]}
    if exception is not None:
        line["err"] = reason(exception)
    ref = context.get(WRITE_REF) if isinstance(context, dict) else None
    if ref is not None and ref != "":
        line["ref"] = str(ref)
    write(line)


@events.user_error.add_listener  # type: ignore[untyped-decorator]  # Locust's is untyped
def task_failed(user_instance: Any, exception: BaseException, tb: Any, **_kw: Any) -> None:
    write({"t": round(time.time(), 6), "ms": 0.0, "ok": False, "st": 0,
           "n": f"task error: {_task_name(tb)}"[:200], "err": reason(exception)})


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


def write(line: dict[str, Any]) -> None:
    sink().write(json.dumps(line, separators=(",", ":")) + "\n")


@events.quitting.add_listener  # type: ignore[untyped-decorator]  # Locust's is untyped
def close_sink(**_kw: Any) -> None:
    if _sink is not None:
        _sink.flush()
