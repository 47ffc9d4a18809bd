"""The live side of a run: a local web page, and marks people make while it runs.

    live = open_live(run_id, scenario, out, log)   # serves 127.0.0.1:<port>, says where
    live.board.attach(n, trial) ... live.board.detach()
    live.close()                                    # stops serving, forgets the run

From another terminal, ``chaos mark detected --note "pager went off"`` finds the
run through the file ``open_live`` leaves in the state directory (``running.py``)
and posts to the same endpoint the page's buttons use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos.live.board import Board
from chaos.live.running import announce, find_running, post_mark
from chaos.live.server import LiveServer


@dataclass
class Live:
    board: Board
    server: LiveServer
    beacon: Path | None

    @property
    def url(self) -> str:
        return self.server.url

    def close(self) -> None:
        self.board.detach("finished")
        self.server.close()
        if self.beacon is not None:
            self.beacon.unlink(missing_ok=True)


def open_live(run_id: str, scenario: Any, out: Path, log: Callable[[str], None]) -> Live:
    board = Board(run_id, scenario, Path(out) / "timeline.jsonl")
    server = LiveServer(board).start()
    try:
        beacon: Path | None = announce(run_id, server.url, scenario.name, out)
    except Exception as exc:   # the page still works; only `chaos mark` cannot find us
        log(f"live page: cannot write the run's state file ({exc}); use the page to mark")
        beacon = None
    log(f"live page: {server.url}")
    return Live(board, server, beacon)


def mark_cmd(kind: str, note: str | None, run_id: str | None) -> dict[str, Any]:
    run = find_running(run_id)
    return {"run": run, "event": post_mark(run, kind, note)}


def as_gameday(scenario: Any) -> Any:
    """The scenario with people in the loop: no automatic recovery (``--gameday``)."""
    recovery = scenario.recovery.model_copy(update={"trigger": "manual", "at": None})
    return scenario.model_copy(update={"recovery": recovery})


def with_board(tick: Callable[[Any], None], live: Live | None) -> Callable[[Any], None]:
    """``tick``, and keep the live page's view of the trial current."""
    if live is None:
        return tick

    def both(trial: Any) -> None:
        tick(trial)
        live.board.tick(trial)

    return both
