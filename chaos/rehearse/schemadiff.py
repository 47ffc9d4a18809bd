"""Two schemas compared the way a person would: ``pg_dump --schema-only`` without its noise.

A rehearsal's recovery *converges* when the schema it leaves is the clean run's.
pg_dump's text is the most complete description PostgreSQL gives of a schema
(columns in order, types, defaults, constraints, indexes, functions, grants), but
it also carries what differs between two dumps of the same schema: comments with
the dump's time and versions, session ``SET`` lines, ``set_config`` calls, and the
random key of ``\\restrict`` lines in recent versions. Those go; the rest is
compared line by line.
"""

from __future__ import annotations

import difflib
import re

_NOISE = (
    re.compile(r"^--"),                                    # comments, headers with versions
    re.compile(r"^SET \w+ = "),                            # session settings
    re.compile(r"^SELECT pg_catalog\.set_config\("),      # search_path for the restore
    re.compile(r"^\\(un)?restrict\b"),                     # psql meta-commands with a key
)


def normalize(dump: str) -> list[str]:
    """The dump's lines that describe the schema, trailing blanks removed."""
    out = []
    for line in dump.splitlines():
        line = line.rstrip()
        if not line or any(p.match(line) for p in _NOISE):
            continue
        out.append(line)
    return out


def differences(expected: str, got: str, limit: int = 40) -> list[str]:
    """What ``got`` has that ``expected`` has not (``+``), and the reverse (``-``).

    Empty when the two dumps describe the same schema."""
    a, b = normalize(expected), normalize(got)
    if a == b:
        return []
    lines = [line for line in difflib.unified_diff(a, b, "clean run", "after recovery",
                                                   lineterm="", n=1)
             if not line.startswith(("---", "+++"))]
    return lines[:limit] + ([f"… {len(lines) - limit} more lines"] if len(lines) > limit
                            else [])
