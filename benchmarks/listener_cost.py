"""Where the per-request listener's time goes, without a network: a micro-benchmark.

    python -m benchmarks.listener_cost --n 200000 --repeat 5

Runs in one process with Locust imported (so gevent is patched, as in a Locust
process) and times, with ``perf_counter`` over ``--n`` calls, each piece of what
chaos adds to one request in a single Locust process (``chaos/load/proc/listener.py``
with its ``LocalSink``), against what Locust itself does for it:

- ``fire_bare``: ``events.request.fire`` with Locust's own listeners only (a local
  runner's stats entry), the baseline every request pays;
- ``fire_chaos``: the same with chaos's ``record`` attached, writing to a file (the
  difference is the listener, end to end, its 10 flushes a second amortised);
- the parts of ``record``: the ``Flight`` bookkeeping (``_tracked``'s ``begin`` and
  ``record``'s ``end``), building the row, and ``FileSink.rows`` for one row (a dict,
  ``json.dumps``, the write into the buffer), with ``json.dumps`` on its own;
- ``worker_add``: what a distributed worker does instead (``WorkerSide.add``: an
  append), and ``batch_msgpack``: Locust's serialization of a 0.2 s batch, per row;
- ``rows_batched``: ``FileSink.rows`` given 100 rows at once, per row (what a sink that
  serialized in its flusher would pay); ``format_row``: an alternative to ``rows`` for
  one row, not chaos's code: the line formatted directly, with the request name's JSON
  cached and ``json.dumps`` kept for the free-text fields.

Each figure is the median of ``--repeat`` rounds, in µs per request. The output is one
JSON line; the script never changes the listener.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import emit


def timeit(fn: Callable[[], Any], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="calls per timing")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="chaos-listener-cost-"))
    os.environ["CHAOS_OBS_FILE"] = str(tmp / "observations.jsonl")

    import locust
    from locust.env import Environment
    from locust.rpc.protocol import Message

    env = Environment(user_classes=[], events=locust.events)
    env.create_local_runner()        # Locust's own request listener: the stats
    handlers_bare = list(locust.events.request._handlers)

    from chaos.load.proc import listener, obschannel

    handlers_chaos = list(locust.events.request._handlers)
    listener._attach(env)            # the LocalSink, as Locust's init event would make it
    sink = listener._sink
    assert isinstance(sink, listener.LocalSink)

    class Response:
        status_code = 200
    resp = Response()
    ctx: dict[str, Any] = {}

    def fire() -> None:
        locust.events.request.fire(request_type="GET", name="/", response_time=1.234,
                                   response_length=2, response=resp, context=ctx,
                                   exception=None, start_time=time.time(), url="/")

    def fire_bare() -> None:
        locust.events.request._handlers = handlers_bare
        fire()

    def fire_chaos() -> None:
        listener.FLIGHT.begin(ctx, "/")          # what _tracked adds before the request
        locust.events.request._handlers = handlers_chaos
        fire()

    row = [round(time.time(), 6), 1.234, True, 200, "/", None, None]
    rows100 = [row] * 100
    worker_rows: list[Any] = []
    batch = {"seq": 1, "obs": [row] * 100, "fl": 10, "pw": []}
    node_id = f"worker_{'0' * 32}"
    flushes = 0

    rt: float | None = 1.234
    name: Any = "/"

    def flight() -> None:
        listener.FLIGHT.begin(ctx, "/")
        listener.FLIGHT.end()

    def build_row() -> None:
        status = getattr(resp, "status_code", 0) or 0
        ref = ctx.get(listener.WRITE_REF) if isinstance(ctx, dict) else None
        [round(time.time(), 6), round(rt or 0.0, 3), True, status, str(name)[:200],
         str(ref) if ref is not None and ref != "" else None, None]

    def rows_one() -> None:
        nonlocal flushes
        sink.file.rows([row])
        flushes += 1
        if flushes % 1000 == 0:
            sink.file.flush()

    def dumps() -> None:
        obschannel.json.dumps({"t": 1765000000.123456, "ms": 1.234, "ok": True, "st": 200,
                               "n": "/"}, separators=(",", ":"))

    def worker_add() -> None:
        worker_rows.append(row)
        if len(worker_rows) > 1000:
            worker_rows.clear()

    def rows_batched() -> None:
        sink.file.rows(rows100)

    names: dict[str, str] = {}

    def format_row() -> None:
        # An alternative, not chaos's code: the line formatted directly, the name's JSON
        # cached (names are few), json.dumps only for an error's text.
        t, ms, ok, st, name, ref, err = row
        quoted = names.get(name)
        if quoted is None:
            quoted = names[name] = obschannel.json.dumps(name)
        line = f'{{"t":{t!r},"ms":{ms!r},"ok":{"true" if ok else "false"},"st":{st},"n":{quoted}'
        if err is not None:
            line += ',"err":' + obschannel.json.dumps(err)
        if ref is not None:
            line += ',"ref":' + obschannel.json.dumps(ref)
        sink.file.f.write(line + "}\n")

    def msgpack_batch() -> None:
        Message("chaos_obs", batch, node_id).serialize()

    def write_only() -> None:
        sink.file.f.write('{"t":1765000000.123456,"ms":1.234,"ok":true,"st":200,"n":"/"}\n')

    cases: dict[str, tuple[Callable[[], Any], int]] = {
        "fire_bare": (fire_bare, 1), "fire_chaos": (fire_chaos, 1), "flight": (flight, 1),
        "build_row": (build_row, 1), "rows_one": (rows_one, 1), "json_dumps": (dumps, 1),
        "write_only": (write_only, 1), "worker_add": (worker_add, 1),
        "rows_batched": (rows_batched, 100), "format_row": (format_row, 1),
        "batch_msgpack": (msgpack_batch, 100)}
    results: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeat):
        for name, (fn, per) in cases.items():
            n = max(args.n // per, 1000)
            results[name].append(timeit(fn, n) / per)
            sink.file.flush()
    med = {k: round(statistics.median(v), 3) for k, v in results.items()}
    spreadv = {k: [round(min(v), 3), round(max(v), 3)] for k, v in results.items()}
    emit(bench="listener_cost", n=args.n, repeat=args.repeat, us_per_request=med,
         min_max=spreadv, listener_us=round(med["fire_chaos"] - med["fire_bare"], 3),
         file_bytes=Path(os.environ["CHAOS_OBS_FILE"]).stat().st_size)


if __name__ == "__main__":
    main()
