"""Who may do what on a game day's page: one link, one random token, per role.

    access = Access.new()
    access.link("http://127.0.0.1:4000/", Role.RESPONDER)   # ...?key=<32 random chars>
    role = access.role_of(token)          # None: 401
    access.allows(role, Action.REVEAL)    # False for a responder: 403

A token grants its role and nothing more. Tokens are compared in constant time;
they are never logged (the server's access log is off) and are registered with
``chaos.redact`` once the links are printed, so no record or report can hold one. The link's
parameter is ``key``, not ``token``: chaos's redaction masks ``token=...`` wherever
it appears, and the start lines are the one place a link must be printed whole.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    FACILITATOR = "facilitator"   # injects, runs the runbook, reveals, ends
    RESPONDER = "responder"       # notices, recovers, says what they think the cause is
    OBSERVER = "observer"         # watches


class Action(StrEnum):
    VIEW = "view"           # the page, the state, the live stream, joining with a name
    MARK = "mark"           # detected, mitigated, recovered, a note, a diagnosis
    STEP = "step"           # run a runbook step
    INJECT = "inject"       # choose the fault now (gameday.choose: facilitator)
    REVEAL = "reveal"       # say what was injected
    END = "end"             # end the trial


PERMITS: dict[Role, frozenset[Action]] = {
    Role.FACILITATOR: frozenset(Action),
    Role.RESPONDER: frozenset({Action.VIEW, Action.MARK}),
    Role.OBSERVER: frozenset({Action.VIEW}),
}


@dataclass(frozen=True)
class Access:
    tokens: dict[Role, str]

    @classmethod
    def new(cls) -> Access:
        return cls({role: secrets.token_urlsafe(24) for role in Role})

    def role_of(self, token: str | None) -> Role | None:
        if not token:
            return None
        found = None
        for role, secret in self.tokens.items():   # every comparison, to take constant time
            if hmac.compare_digest(token.encode(), secret.encode()):
                found = role
        return found

    @staticmethod
    def allows(role: Role, action: Action) -> bool:
        return action in PERMITS[role]

    def link(self, base_url: str, role: Role) -> str:
        return f"{base_url.rstrip('/')}/?key={self.tokens[role]}"
