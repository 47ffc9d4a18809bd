"""A locustfile for requests declared in the scenario (``load.requests``).

The orchestrator writes the declared requests into ``chaos_requests.py`` (``SPEC``),
which Locust loads before this file (``-f chaos_requests.py,template.py,declared.py,...``)
and a distributed master sends, with this file, to workers that fetch their locustfiles
(``-f -``): a load host needs Locust, not chaos. This file turns them into one ``FastHttpUser``
whose tasks are the requests, weighted. A write puts its reference in the
request's Locust ``context["write_ref"]`` — the same contract a user's own
locustfile follows — so the listener (``listener.py``) treats both alike:

- ``write: {ref: client}``: a UUID generated per request, sent wherever the
  templates say ``{ref}`` (path, a header, the JSON body);
- ``write: {ref: response, field: a.b}``: the value of that JSON field of a
  successful answer, the id the server acknowledged.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from locust import FastHttpUser, between
from locust.contrib.fasthttp import FastHttpSession

try:
    from chaos.scenario.template import Template, field_of, parse_tree, render_tree
except ImportError:   # a load host without chaos: the master sent template.py
    from template import (  # type: ignore[import-not-found,no-redef]
        Template,
        field_of,
        parse_tree,
        render_tree,
    )

try:
    from chaos_requests import SPEC  # type: ignore[import-not-found]
except ImportError:   # loaded alone (a check of this file): no requests, an abstract user
    SPEC = {"requests": [], "wait": [0.05, 0.2], "timeout": 5}


class NotSent(Exception):
    """A declared request the load could not send; its message is the reason."""


class Declared:
    """One declared request, parsed once per process."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.method = d["method"]
        self.name = d["name"]
        self.path = Template.parse(d["path"])
        self.headers = {k: Template.parse(v) for k, v in (d.get("headers") or {}).items()}
        self.has_body = "json" in d and d["json"] is not None
        self.body = parse_tree(d.get("json"))
        self.success = set(d["success"]) if d.get("success") else None
        write = d.get("write") or {}
        self.write_ref = write.get("ref")        # None (a read), "client" or "response"
        # The schema gives "response" a field; the others never read it.
        self.ack_field: str = write.get("field") or ""

    def send(self, client: FastHttpSession) -> None:
        ref = str(uuid.uuid4()) if self.write_ref == "client" else ""
        context = {"write_ref": ref} if ref else {}
        start, began = time.time(), time.perf_counter()
        try:
            kwargs: dict[str, Any] = {
                "headers": {k: str(v.render(ref)) for k, v in self.headers.items()}}
            if self.has_body:
                kwargs["json"] = render_tree(self.body, ref)
            sending = client.request(self.method, str(self.path.render(ref)), name=self.name,
                                     context=context, catch_response=True, **kwargs)
        except Exception as exc:
            # Locust fires no request event for what its client raises while building the
            # request (an invalid header, a URL it refuses): the request would drop out of
            # the measurement unseen. It is a failed request, with the reason.
            client.request_event.fire(
                request_type=self.method, name=self.name, context=context, response=None,
                response_time=(time.perf_counter() - began) * 1000, response_length=0,
                exception=NotSent(f"not sent: {type(exc).__name__}: {exc}"), start_time=start)
            return
        with sending as resp:
            status = resp.status_code or 0
            good = (status in self.success) if self.success else 200 <= status < 300
            if not good:
                resp.failure(f"HTTP {status}")
                return
            if self.write_ref == "response":
                try:
                    ack = field_of(resp.json(), self.ack_field)
                except (ValueError, KeyError, TypeError):
                    resp.failure(f"answer has no field {self.ack_field!r}")
                    return
                # Locust copied our context dict into the request's metadata;
                # the event fires when this block exits, so set it there.
                resp.request_meta["context"]["write_ref"] = str(ack)
            resp.success()


def _task(req: Declared) -> Callable[[FastHttpUser], None]:
    def run(user: FastHttpUser) -> None:
        req.send(user.client)
    run.__name__ = f"request {req.name}"
    return run


class DeclaredUser(FastHttpUser):
    wait_time = between(*SPEC["wait"])
    network_timeout = float(SPEC["timeout"])
    connection_timeout = float(SPEC["timeout"])
    tasks = ({_task(Declared(d)): int(d.get("weight", 1)) for d in SPEC["requests"]}
             or [lambda u: None])  # type: ignore[assignment]  # Locust takes a dict too
    abstract = not SPEC["requests"]
