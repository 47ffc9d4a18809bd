"""The YAML loader scenarios are parsed with: PyYAML's safe loader, guarded against
documents built to stall or crash it, and its errors phrased for a person.

Only ``yamlload`` uses it; it lives apart so the line-keeping walk over the node tree
reads on its own.
"""

from __future__ import annotations

from typing import Any

import yaml

# Scenarios are a few hundred nodes. Counting nodes *with aliases expanded*
# stops "billion laughs" documents before anything builds or walks the expansion.
MAX_NODES = 20_000
MAX_FLOW_DEPTH = 16   # `[`/`{` levels; real scenarios use two or three


class GuardedLoader(yaml.SafeLoader):
    """SafeLoader that refuses deep ``[[[[`` / ``{{{{`` nesting while scanning (PyYAML's
    scanner slows down with every open bracket, and its composer recurses per level) and
    more than ``MAX_NODES`` nodes while composing, and remembers which scalars carry a
    written tag (``tagged``: ``${VAR}`` substitution must not retype those)."""

    composed = 0

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.tagged: set[int] = set()   # ids of scalar nodes with a tag written (`!!str ${X}`)

    def compose_scalar_node(self, anchor: Any) -> Any:
        # types-PyYAML leaves peek_event (and resolve, below) unannotated.
        written = self.peek_event().tag is not None  # type: ignore[no-untyped-call]
        node = super().compose_scalar_node(anchor)
        if written:
            self.tagged.add(id(node))
        return node

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        if self.flow_level >= MAX_FLOW_DEPTH:
            raise yaml.scanner.ScannerError(
                None, None, f"brackets nested too deeply (more than {MAX_FLOW_DEPTH} levels)",
                self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Stop a huge document early; `_walk` counts again with aliases expanded.
        self.composed += 1
        if self.composed > MAX_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_NODES} nodes; refusing the document", self.get_mark())
        return super().compose_node(parent, index)


def describe(exc: yaml.MarkedYAMLError) -> tuple[str, int | None]:
    """A YAML error as (message, 1-based line or None)."""
    mark, opened = exc.problem_mark or exc.context_mark, exc.context_mark
    detail = ", ".join(part for part in (exc.context, exc.problem) if part) or "syntax error"
    if mark and opened and opened.line != mark.line:
        detail += f" (the construct began on line {opened.line + 1})"
    syntax = not isinstance(exc, yaml.constructor.ConstructorError)
    kind = "YAML syntax error" if syntax else "YAML error"
    return f"{kind}: {detail}", mark.line + 1 if mark else None
