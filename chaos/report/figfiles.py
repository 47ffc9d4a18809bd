"""A matplotlib figure as a file's content: inline SVG text for report.html, PNG bytes
for chart.png; and ``quiet``, which keeps matplotlib's warnings off the user's stderr.

    svg(fig, "trial-1")   # '<svg width="100%" role="img" aria-label="trial-1" ...'
    png(fig)              # b"\x89PNG..."
"""

from __future__ import annotations

import functools
import io
import logging
import re
import warnings
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from matplotlib import rc_context
from matplotlib.figure import Figure

_P = ParamSpec("_P")
_R = TypeVar("_R")
_log = logging.getLogger("chaos.report")


def quiet(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``func`` with matplotlib's warnings sent to the log, not to stderr."""
    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = func(*args, **kwargs)
        for w in caught:
            _log.debug("chart %s: %s", func.__name__, w.message)
        return result
    return wrapper


_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.S)


@quiet
def svg(fig: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element to inline in HTML: text stays text, ids unique."""
    buf = io.StringIO()
    # A salt per figure: matplotlib derives element ids from it, and two inline
    # SVGs sharing an id would clip each other's plots.
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": f"chaos-{name}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]

    def responsive(m: re.Match[str]) -> str:
        tag = re.sub(r'\s(width|height)="[^"]*"', "", m.group(0))
        return tag.replace("<svg", f'<svg width="100%" role="img" aria-label="{name}"', 1)

    return _SVG_TAG.sub(responsive, text, count=1)


@quiet
def png(fig: Figure, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
