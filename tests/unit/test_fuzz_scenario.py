"""Bad input, generated: valid scenarios with one thing broken must fail cleanly.

Structure-aware fuzzing with hypothesis. Every document starts as one of the
shipped or test scenarios (paths made absolute, so it can be written anywhere);
one field is then replaced by a hostile value (wrong type, huge or non-finite
number, odd unicode, deep nesting), removed, or joined by an unknown key; or
the YAML text itself is damaged (truncated, aliases and anchors, billion-laughs
expansion, tags, bytes spliced in). Whatever comes out, ``load_scenario``
returns a Scenario or raises ``ScenarioError`` (exit 2) whose every problem
names the file and a line or field, within a few seconds: never another
exception, never a hang. ``derandomize`` makes each CI run replay the same
documents; the example counts add up to more than 1,000.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from chaos.errors import ScenarioError
from chaos.scenario import load_scenario
from tests.limits import time_limit

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SOURCES = (sorted((REPO / "scenarios").glob("*.yaml"))
           + sorted((REPO / "tests/data/good").glob("*.yaml")))
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],  # no tracing "explain" phase
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
PER_DOC_S = 5.0
# Problems about the whole file have no field; they still name the file.
WHOLE_FILE = ("file is", "binary file", "not UTF-8", "YAML", "the top level", "document expands",
              "nested too deeply", "unreadable value")


def absolute_paths(value: Any, base: Path) -> Any:
    """Relative file references of a scenario, made absolute (so the copy can live in tmp)."""
    if isinstance(value, dict):
        return {k: absolute_paths(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [absolute_paths(v, base) for v in value]
    if isinstance(value, str) and "/" in value and (base / value).exists():
        return str((base / value).resolve())
    return value


BASES = [absolute_paths(yaml.safe_load(p.read_text()), p.parent) for p in SOURCES]


def locations(value: Any, loc: tuple = ()) -> list[tuple]:
    out = [loc] if loc else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += locations(v, loc + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += locations(v, loc + (i,))
    return out


def nested(depth: int, leaf: Any = 1) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


HOSTILE = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(min_value=10**18, max_value=10**90), st.just(-(10**30)),
    st.floats(allow_nan=True, allow_infinity=True), st.just(1e308), st.just(-0.0),
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30),
    st.sampled_from(["", " ", "\u202e", "\u0000", "\ufeff", "日本語", "😀" * 10, "a" * 5000,
                     "9" * 400, "1e400s", "-5s", "nan", "inf", "1m-30s", "5%%", "-1%", "0x10",
                     "../../../../etc/passwd", "/dev/zero", "/", "~", "$(touch /tmp/x)", "{a}",
                     "SIGKILL", "db", "latest", "yes", "No", "null", "true"]),
    st.lists(st.integers() | st.text(max_size=5), max_size=5),
    st.dictionaries(st.text(max_size=8), st.integers() | st.none(), max_size=4),
    st.integers(min_value=30, max_value=300).map(nested),
    st.recursive(st.integers() | st.text(max_size=3),
                 lambda inner: (st.lists(inner, max_size=3)
                                | st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                 max_leaves=20),
)


@st.composite
def mutated(draw) -> dict:
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    loc = draw(st.sampled_from(locations(doc)))
    *parents, last = loc
    holder = doc
    for key in parents:
        holder = holder[key]
    action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "unknown_key"]))
    if action == "delete":
        del holder[last]
    elif action == "unknown_key" and isinstance(holder, dict):
        holder[draw(st.text(min_size=1, max_size=12))] = draw(HOSTILE)
    else:
        holder[last] = draw(HOSTILE)
    return doc


def check_fails_cleanly(path: Path) -> None:
    t0 = time.monotonic()
    with time_limit(PER_DOC_S):
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert exc.exit_code == 2
            assert exc.problems
            text = str(exc)
            for p in exc.problems:
                assert p.file == str(path), p
                assert p.line or p.path or p.message.startswith(WHOLE_FILE), p
                assert str(p) in text
            assert "Traceback" not in text
    assert time.monotonic() - t0 < PER_DOC_S


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return path


def dump(doc: Any) -> str:
    try:
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10**6)
    except (yaml.YAMLError, RecursionError):
        assume(False)
        raise


@settings(max_examples=600, **SETTINGS)
@given(doc=mutated())
def test_one_mutated_field(work, doc):
    check_fails_cleanly(write(work / "mutated.yaml", dump(doc)))


TEXT_DAMAGE = ["truncate", "splice", "alias", "undefined_alias", "merge", "laughs", "deep_flow",
               "tag", "anchor_cycle", "duplicate_key", "crlf_bom"]


@st.composite
def damaged_text(draw) -> bytes | str:
    text = dump(draw(st.sampled_from(BASES)))
    lines = text.splitlines(keepends=True)
    kind = draw(st.sampled_from(TEXT_DAMAGE))
    top = [i for i, line in enumerate(lines) if line[:1].isalpha()]
    i = draw(st.sampled_from(top))
    key = lines[i].split(":", 1)[0]
    if kind == "truncate":
        return text[:draw(st.integers(0, len(text)))]
    if kind == "splice":
        at = draw(st.integers(0, len(text)))
        junk = draw(st.binary(min_size=1, max_size=20) | st.sampled_from(
            [b"\x00", b"\xff\xfe", b"\t", b"&", b"*", b"!", b"%", b"@", b"`", b"{", b"]", b"\r",
             b"\x85", b"\xe2\x80\xa8"]))
        raw = text.encode()
        return raw[:at] + junk + raw[at:]
    if kind == "alias":  # a valid alias of another top-level value, in the wrong place
        j = draw(st.sampled_from(top))
        lines[j] = lines[j].replace(":", ": &a", 1) if lines[j].rstrip().endswith(":") else \
            lines[j].replace(": ", ": &a ", 1)
        lines.append(f"{key}: *a\n" if j != i else "")
        return "".join(lines) if j != i else "".join(lines) + "extra: *a\n"
    if kind == "undefined_alias":
        lines[i] = f"{key}: *{draw(st.text(alphabet='abcxyz', min_size=1, max_size=5))}\n"
        return "".join(lines)
    if kind == "merge":
        return text + f"base: &b {{x: 1}}\n{key}x:\n  <<: *b\n"
    if kind == "laughs":
        width, depth = draw(st.integers(2, 12)), draw(st.integers(2, 12))
        out = ['l0: &l0 "lol"\n']
        for d in range(1, depth + 1):
            out.append(f"l{d}: &l{d} [" + ", ".join([f"*l{d - 1}"] * width) + "]\n")
        return "".join(out) + text.replace(lines[i], f"{key}: *l{depth}\n", 1)
    if kind == "deep_flow":
        n = draw(st.integers(50, 3000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        return text.replace(lines[i], f"{key}: {opener * n}1{closer * n}\n", 1)
    if kind == "tag":
        tag = draw(st.sampled_from(["!!python/object/apply:os.system ['true']", "!!binary aGk=",
                                    "!!timestamp 2001-12-14", "!!set {a, b}", "!!float .nan",
                                    "!!int 0x7fffffffffffffffffff", "!custom x", "!!omap [a: 1]",
                                    "!!str", "!!null ''", "!!bool maybe"]))
        return text.replace(lines[i], f"{key}: {tag}\n", 1)
    if kind == "anchor_cycle":
        return text.replace(lines[i], f"{key}: &c [1, *c]\n", 1)
    if kind == "duplicate_key":
        return text + lines[i]
    return "\ufeff" + text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\n\n"])))


@settings(max_examples=450, **SETTINGS)
@given(data=damaged_text())
def test_damaged_yaml_text(work, data):
    check_fails_cleanly(write(work / "damaged.yaml", data))


def test_every_bad_example_file_fails_cleanly():
    bad = sorted((REPO / "tests/data/bad").glob("*.yaml"))
    assert len(bad) > 40
    for path in bad:
        with pytest.raises(ScenarioError):
            check_fails_cleanly(path)
            load_scenario(path)


@settings(max_examples=24, **SETTINGS)
@given(data=damaged_text() | mutated().map(dump))
def test_chaos_validate_exits_2_with_file_and_line(work, data):
    """The same through the real command line: exit 2 (or 0), a located message, no traceback."""
    path = write(work / "cli.yaml", data)
    done = subprocess.run([sys.executable, "-m", "chaos", "validate", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode in (0, 2), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    if done.returncode == 2:
        assert (done.stderr.startswith(str(path))
                or done.stderr.startswith(f"chaos: {path}")), done.stderr
