"""Text from a scenario, made harmless on a terminal and in a report.

A scenario's name, notes, or a database's error message can carry control
characters: an escape sequence that sets the terminal's title or clears the
screen, a bidirectional override that reorders what a reviewer reads, a NUL
that truncates an XML report. Everything chaos prints or renders goes through
``printable``: each such character becomes a visible escape (``\\x1b``,
``\\u202e``); newlines and tabs stay.
"""

from __future__ import annotations

import re

# C0 controls but \t and \n, DEL, C1 controls, line/paragraph separators, and the
# bidirectional marks, embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control character shown as an escape, newlines and tabs kept."""
    return _UNSAFE.sub(_escape, str(text))
