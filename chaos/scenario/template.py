"""Templates for declared requests: the values a request is built from.

    t = Template.parse("/accounts/{int:1:1000}?trace={uuid}")
    t.render(ref="...")            # -> "/accounts/417?trace=8c0f..."

Placeholders, written in braces (``{{`` and ``}}`` are literal braces):

``{int:LO:HI}``     a random integer, LO ≤ n ≤ HI
``{uuid}``          a fresh random UUID
``{choice:a|b|c}``  one of the listed strings, uniformly
``{ref}``           the write's reference: a UUID chaos generated for this
                    request (the same everywhere it appears in the request)

A JSON body value that is exactly one ``{int:...}`` placeholder renders as a
number, not a string. Pure standard library: this module also runs inside
Locust's process.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_INT = re.compile(r"^int:(-?\d{1,18}):(-?\d{1,18})$")


@dataclass(frozen=True)
class TemplatePart:
    kind: str                  # "text", "int", "uuid", "choice", "ref"
    text: str = ""
    low: int = 0
    high: int = 0
    options: tuple[str, ...] = ()

    def render(self, ref: str) -> str | int:
        if self.kind == "text":
            return self.text
        if self.kind == "int":
            return random.randint(self.low, self.high)
        if self.kind == "uuid":
            return str(uuid.uuid4())
        if self.kind == "choice":
            return random.choice(self.options)
        return ref


@dataclass(frozen=True)
class Template:
    parts: tuple[TemplatePart, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        """Parse ``text``; ValueError names the placeholder that is wrong."""
        parts: list[TemplatePart] = []
        pos = 0
        for m in _TOKEN.finditer(text):
            if m.start() > pos:
                parts.append(TemplatePart("text", text[pos:m.start()]))
            token = m.group(0)
            if token in ("{{", "}}"):
                parts.append(TemplatePart("text", token[0]))
            elif token in ("{", "}"):
                raise ValueError(f"unbalanced '{token}' at character {m.start() + 1} "
                                 f"(write '{token}{token}' for a literal brace)")
            else:
                parts.append(_placeholder(m.group(1)))
            pos = m.end()
        if pos < len(text):
            parts.append(TemplatePart("text", text[pos:]))
        return cls(tuple(parts))

    @property
    def uses_ref(self) -> bool:
        return any(p.kind == "ref" for p in self.parts)

    def render(self, ref: str = "") -> str | int:
        if len(self.parts) == 1 and self.parts[0].kind == "int":
            return self.parts[0].render(ref)   # a bare integer placeholder stays a number
        return "".join(str(p.render(ref)) for p in self.parts)


def _placeholder(body: str) -> TemplatePart:
    if body == "uuid":
        return TemplatePart("uuid")
    if body == "ref":
        return TemplatePart("ref")
    m = _INT.match(body)
    if m:
        low, high = int(m.group(1)), int(m.group(2))
        if low > high:
            raise ValueError(f"{{{body}}}: the low end {low} is above the high end {high}")
        return TemplatePart("int", low=low, high=high)
    if body.startswith("choice:"):
        options = tuple(body[len("choice:"):].split("|"))
        if not all(options):
            raise ValueError(f"{{{body}}}: empty option (write choice:a|b|c)")
        return TemplatePart("choice", options=options)
    raise ValueError(f"unknown placeholder {{{body}}}: use {{int:LO:HI}}, {{uuid}}, "
                     "{choice:a|b|c} or {ref} (and {{ }} for literal braces)")


def parse_tree(value: Any) -> Any:
    """A JSON body template: every string in it parsed, other values kept."""
    if isinstance(value, str):
        return Template.parse(value)
    if isinstance(value, list):
        return [parse_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: parse_tree(v) for k, v in value.items()}
    return value


def render_tree(tree: Any, ref: str) -> Any:
    if isinstance(tree, Template):
        return tree.render(ref)
    if isinstance(tree, list):
        return [render_tree(v, ref) for v in tree]
    if isinstance(tree, dict):
        return {k: render_tree(v, ref) for k, v in tree.items()}
    return tree


def tree_uses_ref(tree: Any) -> bool:
    if isinstance(tree, Template):
        return tree.uses_ref
    if isinstance(tree, list):
        return any(tree_uses_ref(v) for v in tree)
    if isinstance(tree, dict):
        return any(tree_uses_ref(v) for v in tree.values())
    return False


def field_of(doc: Any, dotted: str) -> Any:
    """``field_of({"note": {"uid": 7}}, "note.uid")`` -> 7; KeyError when absent."""
    for key in dotted.split("."):
        if isinstance(doc, dict) and key in doc:
            doc = doc[key]
        elif isinstance(doc, list) and key.isdigit() and int(key) < len(doc):
            doc = doc[int(key)]
        else:
            raise KeyError(dotted)
    if doc is None or isinstance(doc, (dict, list)):
        raise KeyError(dotted)
    return doc
