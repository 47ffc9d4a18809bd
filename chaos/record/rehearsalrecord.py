"""A rehearsal's boundary matrix as typed models: rehearsal.json, and result.json's
``rehearsal`` section once the rehearsal ends (``chaos rehearse``, ``chaos.rehearse``).

    doc = RehearsalRecord.model_validate(json.loads(text))
    doc.boundaries[0].half_applied.error_ratio   # None: no request ended there
    doc.as_dict()                                # the JSON form, keys as written

The same rules as the rest of the record (``chaos.record.models``): strict types
for what we know, unknown keys kept, and what was never measured stays ``None``,
never 0. A boundary the rehearsal never reached has no ``half_applied`` window; a
unit of the clean run with no request before the script has no ``slowed`` count.
Fields added after the first rehearsals (``acknowledgement``, a window's
``p99_ms``) are optional, so their records still load.
"""

from __future__ import annotations

from typing import Literal

from chaos.record.numbers import Count, Number
from chaos.record.section import InvariantResult, Section

RehearsalStatus = Literal["running", "completed", "aborted"]


class WindowRecord(Section):
    """The requests that ended in a stretch of wall-clock time (``chaos.rehearse.outcome``)."""

    seconds: Number
    requests: Count
    failed: Count
    error_ratio: Number | None = None    # None: no request ended in the window
    p99_ms: Number | None = None
    failing: dict[str, Count] = {}       # Locust name -> failures, most first


class StatementRecord(Section):
    """One unit of the clean run: how long it took, what it locked, what the load saw."""

    unit: Count
    duration_s: Number | None = None
    error: str | None = None
    locks: dict[str, str] = {}           # relation -> lock mode
    waiting_sessions: Count | None = None
    requests: Count
    failed: Count
    slowed: Count | None = None          # None: no p99 before the script to compare with
    p99_ms: Number | None = None
    p99_before_ms: Number | None = None


class SeriesRecord(Section):
    """The clean run around its units, for the chart; empty when no unit ran."""

    step_s: Number | None = None
    rows: list[list[Number | None]] = []   # [t, requests, failed, p99 ms or None] per step
    units: list[list[Number]] = []         # [start, end, unit number] per unit


class BoundaryRecord(Section):
    """One boundary of the matrix: what it did to users, its recovery, its verdict."""

    boundary: str                        # "clean", "after-<k>", "lost-ack"
    describe: str
    applied: Count
    of: Count
    lost_ack: bool = False
    acknowledgement: str | None = None
    passed: bool
    reasons: list[str] = []
    half_applied: WindowRecord | None = None   # while the database sat at the boundary
    before: WindowRecord | None = None          # as long, just before the first unit
    invariants_half_applied: list[InvariantResult] = []
    recovery: str | None = None          # "done", "failed: …"; None for the clean run
    invariants_after: list[InvariantResult] = []
    converged: bool | None = None        # None: the schema after recovery was not read
    schema_diff: list[str] = []
    serving_again: bool | None = None
    end_reason: str | None = None
    statements: list[StatementRecord] = []    # the clean run only
    series: SeriesRecord | None = None        # the clean run only

    @property
    def clean(self) -> bool:
        return self.boundary == "clean"


class RehearsalRecord(Section):
    """The whole rehearsal: written after every boundary, final once it ends."""

    script: str
    units: Count | None = None
    recovery: str | None = None          # how the rehearsal recovered, in words
    hold_s: Number | None = None
    max_error_ratio: Number | None = None
    status: RehearsalStatus
    boundaries: list[BoundaryRecord] = []
    passed: bool = False                 # never true for what was not measured

    def clean_run(self) -> BoundaryRecord | None:
        return next((b for b in self.boundaries if b.clean), None)
