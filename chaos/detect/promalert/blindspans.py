"""When the alerting stack stops answering: blind spans on the record, never a dead thread.

Unanswered for ``blind_after`` seconds, the detector records ``alert_blind`` from
the first unanswered read, and ``alert_sighted`` once the stack answers again; a
trial that ends unanswered closes with an open span.
"""

from __future__ import annotations

from typing import Any

from chaos.detect.promalert.alertstates import Emit
from chaos.measure.eventkinds import Kind


class Blindness:
    def __init__(self, blind_after: float, emit: Emit) -> None:
        self.blind_after = blind_after
        self._emit = emit
        self.spans: list[dict[str, Any]] = []     # {from_t, to_t (None: still blind), reason}
        self.unanswered_since: float | None = None
        self._why = ""

    def _open(self) -> bool:
        return any(b.get("to_t") is None for b in self.spans)

    def unanswered(self, t: float, exc: BaseException) -> None:
        if self.unanswered_since is None:
            self.unanswered_since = t
            self._why = f"{type(exc).__name__}: {exc}"[:300]
        if not self._open() and t - self.unanswered_since >= self.blind_after:
            self._went_blind(self.unanswered_since, self._why)

    def answered(self, t: float) -> None:
        self.unanswered_since = None
        for b in self.spans:
            if b.get("to_t") is None:
                b["to_t"] = round(t, 3)
                self._emit(Kind.ALERT_SIGHTED, t, blind_s=round(t - b["from_t"], 3))

    def at_end(self) -> None:
        """The trial ended while the stack was not answering: blind to the end."""
        if self.unanswered_since is not None and not self._open():
            self._went_blind(self.unanswered_since, "no answer when the trial ended")

    def _went_blind(self, since: float, why: str) -> None:
        self.spans.append({"from_t": round(since, 3), "to_t": None, "reason": why})
        self._emit(Kind.ALERT_BLIND, since, reason=why)
