"""Invariants (chaos/measure/verify.py) without a database: an invariant that could not
be read is "not measured" and never passes (issue #23)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import psycopg
import pytest

from chaos.measure import verify
from chaos.measure.verify import check_invariants


class FakeConn:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def __enter__(self) -> FakeConn:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def execute(self, query: str) -> FakeConn:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self

    def fetchone(self) -> Any:
        return self.answer


def check(monkeypatch, answer: Any, expect: Any = 1) -> dict[str, Any]:
    monkeypatch.setattr(verify.psycopg, "connect", lambda *a, **kw: FakeConn(answer))
    inv = SimpleNamespace(name="price present", query="SELECT 1", expect=expect)
    [entry] = check_invariants("postgresql://x", [inv])
    return entry


def test_an_answer_that_matches_passes(monkeypatch):
    entry = check(monkeypatch, (1,))
    assert entry["passed"] is True and entry["observed"] == 1 and "error" not in entry


def test_an_answer_that_differs_fails_without_an_error(monkeypatch):
    entry = check(monkeypatch, (0,))
    assert entry["passed"] is False and entry["observed"] == 0 and "error" not in entry


@pytest.mark.parametrize("answer, why", [
    (psycopg.errors.UndefinedColumn('column "price" does not exist'),
     'not measured: column "price" does not exist'),
    (psycopg.OperationalError("connection refused"), "not measured: connection refused"),
    (None, "not measured: the query returned no row"),
    ((), "not measured: the query returned no column"),           # SELECT FROM t
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
     "not measured: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
])
def test_an_invariant_that_could_not_be_read_is_not_measured_and_fails(monkeypatch, answer, why):
    entry = check(monkeypatch, answer)
    assert entry["passed"] is False and entry["observed"] is None
    assert entry["error"] == why


def test_no_row_does_not_pass_an_expected_null(monkeypatch):
    # `expect: null` is met by a NULL value, not by the absence of any row.
    assert check(monkeypatch, None, expect=None)["passed"] is False
    assert check(monkeypatch, (None,), expect=None)["passed"] is True
