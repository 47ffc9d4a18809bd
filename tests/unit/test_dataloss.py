"""The on-disk write log gives exactly what the in-memory dicts gave (benchmarks.memory
keeps that code as the reference): counts, the lost sample and its order, the window, RPO."""

from __future__ import annotations

import random

import pytest

from benchmarks.memory import DictWriteLog, dict_account
from chaos.measure.dataloss import FLUSH_EVERY, WriteLog, account
from chaos.measure.observation import Observation
from chaos.measure.verify import found_in

ODD_REFS = ["", "\x00", "é", "\ud800", "a\x00b", "😀", "A", "a"]   # NUL, lone surrogate, case


def obs(ref: str, ok: bool, status: int) -> Observation:
    return Observation(start=0.0, end=0.0, ok=ok, status=status, name="/w", ref=ref)


def random_stream(rng: random.Random, n: int) -> list[tuple[Observation, float, float]]:
    """Writes with repeated refs, equal times (ties), -0.0, unknown and refused writes."""
    refs = [f"r{i}" for i in range(n // 2)] + ODD_REFS
    times = [-0.0, 0.0, 1.0, 1.0, 2.5, 7.25, 9.999, 10.0, 10.0005, 12.0]
    out = []
    for _ in range(n):
        ok, status = rng.choice([(True, 201)] * 6 + [(False, 0), (False, 500)])
        end = rng.choice(times) if rng.random() < 0.3 else round(rng.uniform(-1, 20), 4)
        out.append((obs(rng.choice(refs), ok, status), end, end - 0.01))
    return out


def both(stream, present: set[str], t_fault: float | None, sample: int = 20):
    old, new = DictWriteLog(), WriteLog()
    for o, end, start in stream:
        old.add(o, end, start)
        new.add(o, end, start)
    return dict_account(old, present, t_fault, sample), account(new, iter(present), t_fault,
                                                                sample), (old, new)


@pytest.mark.parametrize("seed", range(12))
def test_same_result_as_the_dicts(seed):
    rng = random.Random(seed)
    stream = random_stream(rng, rng.choice([0, 1, 5, 60, 400]))
    written = sorted({o.ref for o, _, _ in stream})
    present = {r for r in written if rng.random() < rng.choice([0.0, 0.5, 0.9, 1.0])}
    present |= {"never-written", "\ud801"}
    for t_fault in (None, -0.5, 0.0, 10.0, 100.0):
        for sample in (0, 3, 20):
            want, got, (old, new) = both(stream, present, t_fault, sample)
            assert got == want, (seed, t_fault, sample)
            assert [type(v) for v in got.values()] == [type(v) for v in want.values()]
    assert new.as_dicts() == (old.acked, old.unknown)
    assert list(new.as_dicts()[0]) == list(old.acked)          # first-write order kept


def test_negative_zero_survives_the_disk():
    log = WriteLog.of(acked={"a": -0.0, "b": 5.0})
    (acked, _) = log.as_dicts()
    assert str(acked["a"]) == "-0.0"


def test_ties_keep_the_order_of_first_acknowledgement():
    # "b" then "a" at the same instant; "b" is written again later at that instant
    stream = [(obs("b", True, 201), 1.0, 0.9), (obs("a", True, 201), 1.0, 0.9),
              (obs("c", True, 201), 0.5, 0.4), (obs("b", True, 201), 1.0, 0.95)]
    want, got, _ = both(stream, set(), t_fault=2.0)
    assert got["lost_sample"] == want["lost_sample"] == ["c", "b", "a"]


def test_written_refs_pages_each_ref_once():
    n = FLUSH_EVERY + 37
    log = WriteLog.of(acked={f"a{i}": float(i) for i in range(n)},
                      unknown={"a5": 1.0, "u1": 2.0, "u2": 3.0})
    pages = list(log.written_refs(1000))
    assert all(len(p) <= 1000 for p in pages) and len(pages) == -(-n // 1000) + 1  # acked, unknown
    flat = [r for p in pages for r in p]
    assert len(flat) == len(set(flat)) == n + 2
    assert set(flat) == {f"a{i}" for i in range(n)} | {"u1", "u2"}


class Db:
    """A connection that answers the data_loss query by the refs it was given."""

    def __init__(self, holds: set[str], columns: int = 1) -> None:
        self.holds, self.columns, self.batches = holds, columns, []

    def execute(self, query, params):
        self.batches.append(len(params["refs"]))
        rows = [(r,) for r in params["refs"] if r in self.holds] + [(None,)]
        return type("Cur", (), {"description": (("ref",),) * self.columns,
                                "__iter__": lambda _self: iter(rows)})()


def test_batched_query_finds_what_one_query_found():
    rng = random.Random(3)
    stream = random_stream(rng, 3000)
    old, new = DictWriteLog(), WriteLog()
    for o, end, start in stream:
        old.add(o, end, start)
        new.add(o, end, start)
    holds = {r for r in list(old.acked) + list(old.unknown) if rng.random() < 0.7}
    db = Db(holds)
    got = account(new, found_in(db, "q %(refs)s", new.written_refs(100)), t_fault=10.0)
    assert got == dict_account(old, holds, t_fault=10.0)
    assert len(db.batches) > 1 and max(db.batches) <= 100


def test_a_query_of_two_columns_is_not_measured():
    from chaos.measure.verify import NotMeasured

    log = WriteLog.of(acked={"a": 1.0})
    with pytest.raises(NotMeasured, match="one column"):
        account(log, found_in(Db({"a"}, columns=2), "q", log.written_refs(10)), t_fault=0.0)


def test_accounting_twice_and_writing_in_between():
    log = WriteLog.of(acked={"a": 1.0, "b": 2.0})
    assert account(log, ["a"], t_fault=5.0)["lost"] == 1
    log.add(obs("c", True, 201), 3.0, 2.9)
    r = account(log, ["a", "c"], t_fault=5.0)
    assert (r["acknowledged"], r["lost"], r["lost_sample"], r["rpo_s"]) == (3, 1, ["b"], 2.0)
