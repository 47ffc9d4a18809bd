"""Passwords and connection strings out of everything we write or print.

    redact("postgresql://chaos:s3cret@127.0.0.1:5432/app")  -> "postgresql://chaos:***@127.0.0.1:5432/app"
    redact("password=s3cret sslmode=off")                    -> "password=*** sslmode=off"
    register_secret(scenario.lab.db_password)                # its bare value, too, from then on

Applied where records and logs leave the process: ``chaos.atomic`` (result.json
and every report), the timeline writer, the run's log lines and the CLI's error
messages. Patterns catch the usual shapes (a URL's userinfo, ``password=``,
``PGPASSWORD``/``POSTGRES_PASSWORD``, YAML ``password: ...``; ``redact_data``
also masks JSON values under password-like keys); a
registered secret is replaced wherever it appears, unless it is too short to
be told apart from ordinary words (the default lab's password is ``chaos``).

Messages about a secret field mask the *value*, of whatever type, where the
message is formed (``is_secret_key``), not by pattern afterwards: the pattern for
YAML ``password: x`` would read ``lab.db_password: input should be...`` as a
password ``input`` and hide the word. Text already redacted part by part says so
by being a ``Redacted``, which ``redact`` returns unchanged.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
MIN_SECRET_LEN = 8

_KEY = r"[A-Za-z_]*(?:password|passwd|pwd|secret|token|api[_-]?key|credential|private[_-]?key)"
_KEY_RE = re.compile(rf"^{_KEY}$", re.I)
# Values stop at quotes and backslashes, so redacting text that holds JSON keeps it JSON.
_PATTERNS = [
    # scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s\"'\\]+:)[^@\s\"'\\]+@", re.I), rf"\1{MASK}@"),
    # password=..., PGPASSWORD=..., POSTGRES_PASSWORD=... (libpq keywords, env, argv)
    (re.compile(rf"\b({_KEY})=(?:'[^'\\]*'|[^\s&;,\"'\\]+)", re.I), rf"\1={MASK}"),
    # POSTGRES_PASSWORD: ..., password: '...' (YAML, logs)
    (re.compile(rf"\b({_KEY}:[ \t]*)(?:'[^'\\\n]*'|[^\s,}}\]\"'\\]+)", re.I), rf"\1{MASK}"),
]
# Field names whose values are secret, wherever they appear in a key (db_password,
# Authorization, X-Api-Key, api_token...).
_SECRET_NAME = re.compile(r"password|passwd|pwd|secret|token|api[_-]?key|authori[sz]ation"
                          r"|credential|cookie|private[_-]?key", re.I)
_secrets: set[str] = set()


class Redacted(str):
    """Text whose secrets were masked where it was formed (``ScenarioError``'s lines)."""


def is_secret_key(name: str) -> bool:
    """True for a field whose value must never be shown: ``db_password``, ``Authorization``."""
    return bool(_SECRET_NAME.search(name))


def register_secret(value: str | None) -> None:
    """Redact this exact value everywhere from now on (e.g. the lab's db password)."""
    if value and len(value) >= MIN_SECRET_LEN:
        _secrets.add(value)


def redact(text: Any) -> str:
    out = str(text)
    if isinstance(out, Redacted):
        return out
    for secret in sorted(_secrets, key=len, reverse=True):
        out = out.replace(secret, MASK)
    for pattern, repl in _PATTERNS:
        out = pattern.sub(repl, out)
    return out


def _masked(key: Any, value: Any) -> bool:
    """Text under a secret-looking key (api_key, db_password, Authorization) is masked
    whole; so is any scalar under a key that names a secret (``password: 12345678``);
    a number under ``tokens_per_s`` is not."""
    if not isinstance(key, str) or value is None or isinstance(value, (dict, list)):
        return False
    return is_secret_key(key) if isinstance(value, str) else bool(_KEY_RE.match(key))


def redact_data(value: Any) -> Any:
    """A copy of JSON-like data with secrets masked: in strings, and under password-like keys."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: (MASK if _masked(k, v) else redact_data(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    return value
