"""The page that pages: an alert's notification on every responder's screen, and, only
when the scenario asks for it, in the team's channel too.

    gameday:
      pager:
        sound: true                        # the page beeps when a notification arrives
        forward: ${TEAM_WEBHOOK_URL}       # opt-in: a Slack-compatible incoming webhook

A detector that receives notifications (``prometheus_alert``: Alertmanager's
webhook reaching chaos's receiver) puts ``page: {status, alert, severity,
summary, count}`` on its ``alert_notified`` and ``alert_resolved`` events. The
live page draws every such event as a pager would; nothing here knows which
detector made it.

Forwarding posts ``{"text": ...}`` (the shape Slack's, Mattermost's and
Rocket.Chat's incoming webhooks take) from a thread of its own, with a timeout,
so a slow or dead channel never holds the trial. Each attempt is on the
timeline as ``page_forwarded`` (``ok``, the HTTP status or the error), never the
URL: it is a secret, masked in every line and file chaos writes.
"""

from __future__ import annotations

import json
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from chaos.measure.eventkinds import Kind
from chaos.redact import redact

PAGE_KINDS = frozenset({Kind.ALERT_NOTIFIED, Kind.ALERT_RESOLVED})
TIMEOUT_S = 5.0
QUEUE_MAX = 100     # pages waiting for a slow channel; beyond it, dropped and said so


def is_page(event: dict[str, Any]) -> bool:
    return event.get("kind") in PAGE_KINDS and isinstance(event.get("page"), dict)


def page_text(page: dict[str, Any], scenario_name: str | None = None) -> str:
    """One line, as a pager shows it: ``[FIRING] DbDown (critical): the shop's db is down``."""
    status = str(page.get("status") or "firing").upper()
    alert = str(page.get("alert") or "alert")
    severity = f" ({page['severity']})" if page.get("severity") else ""
    summary = f": {page['summary']}" if page.get("summary") else ""
    more = f" (+{int(page['count']) - 1} more)" if int(page.get("count") or 1) > 1 else ""
    where = f" [game day: {scenario_name}]" if scenario_name else " [chaos game day]"
    return f"[{status}] {alert}{severity}{summary}{more}{where}"


def post(url: str, text: str, timeout: float = TIMEOUT_S) -> int:
    """POST ``{"text": text}``; the HTTP status, or an exception."""
    body = json.dumps({"text": text}).encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


Record = Callable[..., Any]   # timeline.add(kind, **detail)


class Forwarder:
    """Posts pages to one webhook, in order, from its own thread."""

    def __init__(self, url: str, scenario_name: str | None = None,
                 timeout: float = TIMEOUT_S) -> None:
        self.url = url
        self.scenario_name = scenario_name
        self.timeout = timeout
        self.sent = 0
        self.failed = 0
        self.unrecorded: list[str] = []
        self.dropped = 0
        self._queue: queue.Queue[tuple[dict[str, Any], Record] | None] = queue.Queue(QUEUE_MAX)
        self._thread = threading.Thread(target=self._run, name="chaos-pager", daemon=True)
        self._thread.start()

    def offer(self, event: dict[str, Any], record: Record) -> None:
        """Queue ``event``'s page; never waits. ``record`` puts the outcome on a timeline."""
        try:
            self._queue.put_nowait((event, record))
        except queue.Full:
            self.dropped += 1
            record(Kind.PAGE_FORWARDED, ok=False, page_t=event.get("t"),
                   error=f"not sent: {QUEUE_MAX} pages were already waiting for the channel")

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            event, record = item
            detail: dict[str, Any] = {"page_t": event.get("t"),
                                      "status": (event.get("page") or {}).get("status")}
            try:
                code = post(self.url, page_text(event["page"], self.scenario_name),
                            self.timeout)
            except Exception as exc:   # the channel is down or slow: said, never raised
                self.failed += 1
                detail.update(ok=False, error=redact(f"{type(exc).__name__}: {exc}")[:200])
            else:
                ok = 200 <= code < 300
                self.sent += ok
                self.failed += not ok
                detail.update(ok=ok, http_status=code)
            try:
                record(Kind.PAGE_FORWARDED, **detail)
            except Exception as exc:   # the trial's timeline is closed: kept here instead
                self.unrecorded.append(redact(f"{type(exc).__name__}: {exc}")[:200])

    def close(self, timeout: float = TIMEOUT_S + 1) -> None:
        """Send what is queued (bounded by ``timeout``), then stop."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)
