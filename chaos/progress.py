"""What `chaos run` shows while a trial runs.

On a terminal: a live panel (rich) with the phase, elapsed and remaining time,
the request and error rates, the last events and the live page's address,
redrawn a few times a second; event lines still scroll above it. Anywhere else
(a pipe, a log file, ``CI=true``): plain lines, one per event and one every
few seconds, as before.

    display = for_terminal(log, plain_tick, fmt, time_limit=120, url=live.url)
    timeline.listeners.append(display.event)
    Trial(ctx, on_tick=display.tick) ... display.close()
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from chaos import settings
from chaos.printable import printable
from chaos.redact import redact

REDRAW_S = 0.25


def is_interactive(stream: Any = None) -> bool:
    stream = stream if stream is not None else sys.stdout
    return not settings.current().ci and bool(getattr(stream, "isatty", lambda: False)())


class PlainDisplay:
    def __init__(self, log: Callable[[str], None], tick: Callable[[Any], None],
                 fmt: Callable[[dict[str, Any]], str]) -> None:
        self.log, self.tick, self.fmt = log, tick, fmt

    def event(self, e: dict[str, Any]) -> None:
        self.log(self.fmt(e))

    def close(self) -> None:
        pass


class RichDisplay:
    def __init__(self, fmt: Callable[[dict[str, Any]], str], time_limit: float,
                 url: str | None, title: str = "", console: Any = None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.fmt, self.time_limit, self.url, self.title = fmt, time_limit, url, title
        self.events: deque[str] = deque(maxlen=6)
        self.console = console or Console()
        self._last = 0.0
        self._view: dict[str, Any] = {"phase": "starting", "now": 0.0}
        # Lines printed to stdout meanwhile (the run's log) go above the panel.
        self.live = Live(self._render(), console=self.console, refresh_per_second=4,
                         transient=False, redirect_stdout=True, redirect_stderr=True)
        self.live.start()

    def event(self, e: dict[str, Any]) -> None:
        line = printable(redact(self.fmt(e)))   # as the plain log does
        self.events.append(line.strip())
        self.console.print(line, markup=False, highlight=False)

    def tick(self, trial: Any) -> None:
        now = time.monotonic()
        if now - self._last < REDRAW_S:
            return
        self._last = now
        s = trial.status()
        self._view = {"phase": str(s.phase), "now": s.now, "rps": s.rps, "err": s.error_ratio,
                      "total": s.total, "failed": s.failed}
        self.live.update(self._render())

    def _render(self) -> Any:
        from rich.panel import Panel
        from rich.table import Table

        v = self._view
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        left = max(0.0, self.time_limit - v["now"])
        grid.add_row("phase", v["phase"])
        grid.add_row("time", f"{v['now']:6.1f} s elapsed · {left:6.1f} s left")
        if "rps" in v:
            grid.add_row("load", f"{v['rps']:6.0f} req/s · errors {v['err']:6.1%} · "
                                 f"{v['failed']} of {v['total']} failed")
        if self.url:
            grid.add_row("live page", self.url)
        for i, line in enumerate(self.events):
            grid.add_row("events" if i == 0 else "", line)
        return Panel(grid, title=printable(self.title or "chaos run"), border_style="cyan")

    def close(self) -> None:
        self.live.update(self._render())
        self.live.stop()


def for_terminal(log: Callable[[str], None], plain_tick: Callable[[Any], None],
                 fmt: Callable[[dict[str, Any]], str], time_limit: float,
                 url: str | None = None, title: str = "") -> PlainDisplay | RichDisplay:
    if is_interactive():
        return RichDisplay(fmt, time_limit, url, title)
    return PlainDisplay(log, plain_tick, fmt)


QUIET_KINDS = frozenset({"replication_lag"})
"""Events recorded every second (samples, on the record): not shown as they happen."""


MAX_SHOWN = 100   # characters of one field on the console; the record keeps it whole


def format_event(e: dict[str, Any]) -> str:
    skip = {"t", "wall", "kind", "trial"}
    detail = " ".join(f"{k}={_short(v)}" for k, v in e.items() if k not in skip)
    return f"  [{e['t']:7.2f}s] {e['kind']:<18} {detail}"


def progress_printer(log: Callable[[str], None]) -> Callable[[Any], None]:
    """The plain progress line every 5 s of trial time, from the trial's status."""
    last = {"t": -10.0}

    def tick(trial: Any) -> None:
        s = trial.status()
        if s.now - last["t"] < 5:
            return
        last["t"] = s.now
        log(f"  [{s.now:7.2f}s] {s.phase:<18} {s.rps:6.0f} req/s  errors {s.error_ratio:6.1%}  "
            f"total {s.total}  failed {s.failed}")

    return tick


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."
