"""`chaos report` and `chaos compare` on damaged run records: exit 2 naming the file, or work.

Damage starts from a real record (tests/data/runs/seed-sample): result.json
truncated, a field given the wrong type, blown up huge or deeply nested, or
replaced by binary bytes; timeline.jsonl torn. Through ``chaos.cli.main``,
every case ends in exit 0 (nothing that matters was damaged), 1 (compare found
a regression) or 2 with a message that names the file, never an internal error
(exit 3) or a traceback.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.cli_helpers import run_main

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "runs" / "seed-sample"
RESULT = json.loads((SAMPLE / "result.json").read_text())
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def locations(value: Any, loc: tuple = ()) -> list[tuple]:
    out = [loc] if loc else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += locations(v, loc + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out += locations(v, loc + (i,))
    return out


LOCATIONS = locations(RESULT)
HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**20, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False), st.just(1e308), st.just(-1e308),
    st.text(max_size=20), st.sampled_from(["", "x" * 100_000, "\u202e", "NaN", "[]", "{}"]),
    st.lists(st.integers() | st.none(), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.integers(50, 400).map(lambda d: json.loads("[" * d + "]" * d)),
)


@st.composite
def damaged_result(draw) -> bytes:
    kind = draw(st.sampled_from(["field", "field", "field", "truncate", "binary", "deep", "huge",
                                 "nonfinite"]))
    text = json.dumps(RESULT, indent=2)
    if kind == "truncate":
        return text.encode()[:draw(st.integers(0, len(text) - 1))]
    if kind == "binary":
        return (draw(st.binary(min_size=1, max_size=200))
                + draw(st.sampled_from([b"", b"\xff\xfe", b"\x00"])))
    if kind == "deep":
        n = draw(st.integers(500, 100_000))
        return ("[" * n + "]" * n).encode()
    if kind == "huge":
        doc = copy.deepcopy(RESULT)
        doc["trials"] = doc["trials"] * draw(st.integers(20, 100))
        for i, t in enumerate(doc["trials"]):
            t = doc["trials"][i] = dict(t, trial=i + 1)
        return json.dumps(doc).encode()
    if kind == "nonfinite":
        return text.replace('"ttd_s": ', '"ttd_s": NaN, "x": ', 1).replace(
            '"ttr_s": ', '"ttr_s": Infinity, "y": ', 1).encode()
    doc = copy.deepcopy(RESULT)
    *parents, last = draw(st.sampled_from(LOCATIONS))
    holder = doc
    for key in parents:
        holder = holder[key]
    if draw(st.booleans()) and isinstance(holder, dict):
        del holder[last]
    else:
        holder[last] = draw(HOSTILE)
    return json.dumps(doc).encode()


@st.composite
def damaged_timeline(draw) -> bytes:
    raw = (SAMPLE / "timeline.jsonl").read_bytes()
    kind = draw(st.sampled_from(["torn", "junk_line", "wrong_types", "binary"]))
    if kind == "torn":
        return raw[:draw(st.integers(0, len(raw)))]
    if kind == "junk_line":
        lines = raw.splitlines(keepends=True)
        at = draw(st.integers(0, len(lines)))
        junk = draw(st.sampled_from([b"[1,2]\n", b"42\n", b"null\n", b"{\n",
                                     b'{"kind": 5, "t": "x"}\n',
                                     b'{"kind": "fault_injected", "t": 1e999, "trial": 1}\n',
                                     b'{"kind": "sample", "t": null, "trial": 1}\n',
                                     b'{"trial": [1], "t": 1}\n', b"\xff\xfe\n"]))
        return b"".join(lines[:at]) + junk + b"".join(lines[at:])
    if kind == "wrong_types":
        return raw.replace(b'"t": ', b'"t": "', 3)
    return draw(st.binary(max_size=300))


def run_dir(root: Path, name: str, result: bytes | None = None,
            timeline: bytes | None = None) -> Path:
    d = root / name
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(SAMPLE, d)
    if result is not None:
        (d / "result.json").write_bytes(result)
    if timeline is not None:
        (d / "timeline.jsonl").write_bytes(timeline)
    return d


def assert_clean(code: int, output: str, allowed: tuple[int, ...] = (0, 2)) -> None:
    assert code in allowed, output[-2000:]
    assert "Traceback" not in output and "internal error" not in output, output[-2000:]
    if code == 2:
        assert "result.json" in output or "timeline.jsonl" in output, output[-2000:]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs")


@settings(max_examples=25, **SETTINGS)
@given(result=damaged_result())
def test_report_on_damaged_result(root, result):
    assert_clean(*run_main(["report", str(run_dir(root, "r", result=result))]))


@settings(max_examples=12, **SETTINGS)
@given(timeline=damaged_timeline())
def test_report_on_damaged_timeline(root, timeline):
    assert_clean(*run_main(["report", str(run_dir(root, "t", timeline=timeline))]))


@settings(max_examples=40, **SETTINGS)
@given(result=damaged_result(), which=st.sampled_from(["base", "candidate"]))
def test_compare_with_a_damaged_side(root, result, which):
    good = run_dir(root, "good")
    bad = run_dir(root, "bad", result=result)
    argv = ["compare", str(bad), str(good)] if which == "base" else ["compare", str(good), str(bad)]
    assert_clean(*run_main(argv), allowed=(0, 1, 2))
