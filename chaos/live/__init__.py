"""The live side of a run: a web page per role, and marks people make while it runs.

    live = open_live(run_id, scenario, out, log)   # serves 127.0.0.1:<port>; prints the links
    live.board.attach(n, trial) ... live.board.detach()
    live.close()                                    # stops serving, forgets the run

Each role (facilitator, responder, observer: ``access.py``) has its own link with
its own random token, printed once at the start and masked in everything written
after. ``listen`` serves beyond 127.0.0.1, only when asked; ``tls`` is a
certificate and key for uvicorn's own TLS.

From another terminal, ``chaos mark detected --note "pager went off"`` finds the
run through the file ``open_live`` leaves in the state directory (``running.py``),
or ``chaos mark detected --link URL`` through a responder's link from anywhere.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaos.errors import UsageError
from chaos.live.access import Access, Role
from chaos.live.board import Board
from chaos.live.pager import Forwarder
from chaos.live.running import announce, find_running, from_link, post_mark
from chaos.live.server import LiveServer
from chaos.redact import Redacted, register_secret

if TYPE_CHECKING:
    from chaos.scenario import Scenario


@dataclass
class Live:
    board: Board
    server: LiveServer
    access: Access
    beacon: Path | None

    @property
    def url(self) -> str:
        return self.server.url

    def link(self, role: Role) -> str:
        return self.access.link(self.server.url, role)

    def close(self) -> None:
        self.board.detach("finished")
        if self.board.forwarder is not None:
            self.board.forwarder.close()
        self.server.close()
        if self.beacon is not None:
            self.beacon.unlink(missing_ok=True)


@dataclass(frozen=True)
class ServeOptions:
    """Where the live page answers: ``listen`` is ``ADDR:PORT`` (default 127.0.0.1, any
    port); ``tls`` a certificate and its key, both PEM files."""

    listen: str | None = None
    tls: tuple[str, str] | None = None


def parse_listen(listen: str | None) -> tuple[str, int]:
    if not listen:
        return "127.0.0.1", 0
    host, sep, port = listen.rpartition(":")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        raise UsageError(f"--listen {listen!r}: expected ADDRESS:PORT, e.g. 0.0.0.0:8080 "
                         "or [::]:8080") from None
    if not sep or not 0 <= number <= 65535:
        raise UsageError(f"--listen {listen!r}: the port must be 0-65535")
    return host, number


def open_live(run_id: str, scenario: Scenario, out: Path, log: Callable[[str], None],
              serve: ServeOptions = ServeOptions()) -> Live:
    host, port = parse_listen(serve.listen)
    gameday = getattr(scenario, "gameday", None)
    blind = bool(getattr(gameday, "blind", False))
    forward = gameday.pager.forward if gameday is not None else None
    if forward:
        register_secret(forward)   # the webhook URL is a credential: masked everywhere
    # The channel is read by responders: a blind game day's name would give the fault away.
    forwarder = Forwarder(forward, None if blind else scenario.name) if forward else None
    board = Board(run_id, scenario, Path(out) / "timeline.jsonl", blind=blind,
                  forwarder=forwarder)
    access = Access.new()
    try:
        server = LiveServer(board, access, host=host, port=port, tls=serve.tls).start()
    except OSError as exc:
        raise UsageError(f"--listen {serve.listen or host}: cannot serve there: "
                         f"{exc.strerror or exc}") from None
    live = Live(board, server, access, None)
    try:
        live.beacon = announce(run_id, server.url, scenario.name, out,
                               link=live.link(Role.FACILITATOR))
    except Exception as exc:   # the page still works; only `chaos mark` cannot find us
        log(f"live page: cannot write the run's state file ({exc}); use the page to mark")
    if not server.loopback:
        log(f"warning: the live page is served on {host}:{server.port}, beyond this machine: "
            "anyone who can reach that address and has a link can act in that link's role"
            + ("" if serve.tls else "; without --tls-cert/--tls-key the links travel in clear"))
    log(f"live page: {server.url}")
    for role in Role:   # already as they must be: not masked, this once
        log(Redacted(f"  {role.value:<12} {live.link(role)}"))
    for token in access.tokens.values():   # from now on masked in every line and file
        register_secret(token)
    return live


def mark_cmd(kind: str, note: str | None, run_id: str | None, link: str | None = None,
             name: str | None = None) -> dict[str, Any]:
    run = from_link(link) if link else find_running(run_id)
    return {"run": run, "event": post_mark(run, kind, note, by=name)}


def as_gameday(scenario: Scenario) -> Any:
    """The scenario with people in the loop: no automatic recovery (``--gameday``), and
    the team's expectations (``gameday.expect``) among the targets."""
    recovery = scenario.recovery.model_copy(update={"trigger": "manual", "at": None})
    update: dict[str, Any] = {"recovery": recovery}
    gameday = getattr(scenario, "gameday", None)
    if gameday is not None:
        expect = gameday.expect.model_dump(exclude_none=True)
        update["targets"] = scenario.targets.model_copy(update=expect)
    return scenario.model_copy(update=update)


def with_board(tick: Callable[[Any], None], live: Live | None) -> Callable[[Any], None]:
    """``tick``, and keep the live page's view of the trial current."""
    if live is None:
        return tick

    def both(trial: Any) -> None:
        tick(trial)
        live.board.tick(trial)

    return both
