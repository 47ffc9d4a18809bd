"""A TCP fault proxy with Toxiproxy's toxic semantics, for hosts without ``sch_netem``.

Standard library only: the lab runs this file in a helper container between app
and database (``python3 -c <this source> --listen ... --upstream ... --control ...``).
Toxics are added and removed over a small HTTP API on the control port::

    POST   /toxics          {"name": "lat", "type": "latency", "stream": "downstream",
                             "toxicity": 1.0, "attributes": {"latency": 200, "jitter": 50}}
    DELETE /toxics/<name>
    GET    /toxics          -> {"toxics": [...], "connections": N}

Types: ``latency`` (latency, jitter ms, per chunk), ``bandwidth`` (rate KB/s),
``timeout`` (timeout ms; 0 holds data until removed), ``reset_peer`` (timeout ms,
then RST), and ``loss`` (ours: TCP never loses data, so a lost segment shows as a
retransmission delay: with probability ``percent`` a chunk waits ``rto`` ms, doubled
for each consecutive loss). Toxics apply to connections already open, not only to
new ones (Toxiproxy #444: pooled connections would otherwise keep their old path).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import struct
from typing import Any

TOXICS: dict[str, dict[str, Any]] = {}
CONNECTIONS: set[Link] = set()
STREAMS = ("upstream", "downstream")   # client -> server, server -> client


class Link:
    """One client connection and its upstream, with a per-toxic toxicity draw."""

    def __init__(self, client: asyncio.StreamWriter, server: asyncio.StreamWriter) -> None:
        self.client, self.server = client, server
        self.draws: dict[str, bool] = {}
        self.losses = 0

    def hit(self, toxic: dict[str, Any]) -> bool:
        name = toxic["name"]
        if name not in self.draws:   # Toxiproxy draws once per connection and toxic
            self.draws[name] = random.random() < float(toxic.get("toxicity", 1.0))
        return self.draws[name]

    def active(self, stream: str) -> list[dict[str, Any]]:
        return [t for t in list(TOXICS.values())
                if t.get("stream", "downstream") == stream and self.hit(t)]

    def reset(self) -> None:
        for w in (self.client, self.server):
            sock = w.get_extra_info("socket")
            if sock is not None:
                try:   # linger 0: close() sends RST instead of FIN
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass  # the socket is already closed: there is nothing left to reset
            w.close()


async def apply(link: Link, stream: str, chunk: bytes) -> bool:
    """Delay or drop ``chunk`` as the active toxics say; False when the link must die."""
    for toxic in link.active(stream):
        kind, a = toxic["type"], toxic.get("attributes", {})
        if kind == "latency":
            jitter = float(a.get("jitter", 0))
            await asyncio.sleep(max(0.0, float(a.get("latency", 0)) +
                                    random.uniform(-jitter, jitter)) / 1000)
        elif kind == "bandwidth":
            await asyncio.sleep(len(chunk) / (max(float(a.get("rate", 1)), 0.001) * 1024))
        elif kind == "loss":
            if random.random() < float(a.get("percent", 0)) / 100:
                link.losses += 1
                await asyncio.sleep(float(a.get("rto", 200)) * 2 ** (link.losses - 1) / 1000)
            else:
                link.losses = 0
        elif kind == "timeout":
            ms = float(a.get("timeout", 0))
            waited = 0.0
            while toxic["name"] in TOXICS and (ms == 0 or waited < ms):
                await asyncio.sleep(0.05)
                waited += 50
            if ms and waited >= ms:
                return False
        elif kind == "reset_peer":
            await asyncio.sleep(float(a.get("timeout", 0)) / 1000)
            link.reset()
            return False
    return True


async def pump(link: Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
               stream: str) -> None:
    try:
        while chunk := await reader.read(65536):
            if not await apply(link, stream, chunk):
                return
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # one side hung up (or a reset fault cut it): the link ends, in finally
    finally:
        writer.close()


async def serve_client(upstream: tuple[str, int], reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
    try:
        s_reader, s_writer = await asyncio.open_connection(*upstream)
    except OSError:
        writer.close()
        return
    link = Link(writer, s_writer)
    if any(t["type"] == "reset_peer" and link.hit(t) for t in list(TOXICS.values())):
        link.reset()
        return
    CONNECTIONS.add(link)
    try:
        await asyncio.gather(pump(link, reader, s_writer, "upstream"),
                             pump(link, s_reader, writer, "downstream"))
    finally:
        CONNECTIONS.discard(link)


def control(method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    if method == "GET" and path == "/toxics":
        return 200, {"toxics": list(TOXICS.values()), "connections": len(CONNECTIONS)}
    if method == "POST" and path == "/toxics":
        toxic = json.loads(body or b"{}")
        if toxic.get("type") not in ("latency", "bandwidth", "timeout", "reset_peer", "loss"):
            return 400, {"error": f"unknown toxic type {toxic.get('type')!r}"}
        if toxic.get("stream", "downstream") not in STREAMS or not toxic.get("name"):
            return 400, {"error": "a toxic needs a name and stream upstream|downstream"}
        TOXICS[toxic["name"]] = toxic
        if toxic["type"] == "reset_peer" and not toxic.get("attributes", {}).get("timeout"):
            for link in list(CONNECTIONS):   # open connections are reset too, at once
                if link.hit(toxic):
                    link.reset()
        return 200, toxic
    if method == "DELETE" and path.startswith("/toxics/"):
        gone = TOXICS.pop(path.removeprefix("/toxics/"), None)
        return (200, gone) if gone else (404, {"error": "no such toxic"})
    return 404, {"error": "not found"}


async def serve_control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        length = next((int(h.split(":", 1)[1]) for h in lines[1:]
                       if h.lower().startswith("content-length:")), 0)
        body = await reader.readexactly(length) if length else b""
        try:
            status, answer = control(method, path, body)
        except (ValueError, TypeError) as exc:
            status, answer = 400, {"error": str(exc)}
        data = json.dumps(answer).encode()
        writer.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                     % (status, len(data)) + data)
        await writer.drain()
    except (asyncio.IncompleteReadError, ValueError, ConnectionError):
        pass  # a torn or garbled control request: its client gets no answer, the proxy lives on
    finally:
        writer.close()


def address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "0.0.0.0", int(port)


async def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="TCP fault proxy (Toxiproxy semantics)")
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--control", required=True)
    args = ap.parse_args(argv)
    upstream = address(args.upstream)
    proxy = await asyncio.start_server(lambda r, w: serve_client(upstream, r, w),
                                       *address(args.listen))
    ctl = await asyncio.start_server(serve_control, *address(args.control))
    print(f"proxy {args.listen} -> {args.upstream}, control on {args.control}", flush=True)
    async with proxy, ctl:
        await asyncio.gather(proxy.serve_forever(), ctl.serve_forever())


if __name__ == "__main__":
    asyncio.run(main())
