"""Random command lines: every one ends in exit 0, 1 or 2 with a message, never a traceback.

The argv go through ``chaos.cli.main`` (the real error-to-exit-code mapping) under
click's test runner. Commands that would start containers or builds are replaced
by stubs: what is fuzzed here is the parsing and validation in front of them.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.cli_helpers import run_main

pytestmark = pytest.mark.slow

WORDS = ["run", "validate", "report", "compare", "lab", "up", "down", "status", "build", "list",
         "mark", "history", "detected", "note", "end"]
OPTIONS = ["--trials", "--out", "--label", "--keep-lab", "--keep-observations", "--all", "--stale",
           "--offline", "--online", "--mirror", "--force", "--scenario", "--format", "--metric",
           "--reports", "--max-regression", "--max-duration", "--junit", "--gameday", "--note",
           "--run", "--allow-remote", "-h", "--help", "--version", "--", "-", "--nope", "-x"]
VALUES = st.one_of(
    st.sampled_from(["0", "1", "-1", "1001", "99999999999999999999", "1e3", "nan", "", " ", ".",
                     "/", "/dev/null", "/etc/passwd", "nonexistent.yaml", "x" * 5000, "json",
                     "table", "10%", "-5%", "abc%", "5m", "0s", "ttr", "reports", "\u202e", "😀",
                     "tests/data/good/minimal.yaml", "tests/data/runs/seed-sample"]),
    st.text(max_size=20).filter(lambda s: "\x00" not in s),  # exec() cannot pass a NUL in argv
)
TOKEN = st.one_of(st.sampled_from(WORDS), st.sampled_from(OPTIONS), VALUES)


@pytest.fixture(scope="module")
def stubbed():
    """No containers, builds or runs: the commands behind the parser are stubs."""
    from chaos.cli import lab_commands
    from chaos.cli import run_commands as commands

    saved = {}
    targets = [(commands, "run_cmd", lambda *a, **kw: 0),
               (lab_commands, "lab_up", lambda *a, **kw: None),
               (lab_commands, "lab_down", lambda *a, **kw: None),
               (lab_commands, "lab_status", lambda *a, **kw: None),
               (lab_commands, "build_images_cmd", lambda *a, **kw: None)]
    for module, name, stub in targets:
        saved[(module, name)] = getattr(module, name)
        setattr(module, name, stub)
    yield
    for (module, name), value in saved.items():
        setattr(module, name, value)


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate, Phase.shrink],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argv=st.lists(TOKEN, max_size=7))
def test_random_argv_never_crashes(stubbed, tmp_path_factory, argv):
    old = os.getcwd()
    os.chdir(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        code, output = run_main(argv)
    finally:
        os.chdir(old)
    assert code in (0, 1, 2), (argv, code, output[-1500:])
    assert "Traceback" not in output and "internal error" not in output, (argv, output[-1500:])


@pytest.mark.parametrize("argv, code", [
    ([], 2), (["--help"], 0), (["--version"], 0), (["nope"], 2), (["run"], 2),
    (["run", "x.yaml", "--trials", "0"], 2), (["validate", "no such file.yaml"], 2),
    (["validate", "x" * 5000], 2), (["report", "/nonexistent"], 2), (["lab", "down"], 0),
])
def test_known_argv(stubbed, argv, code):
    got, output = run_main(argv)
    assert got == code, output
    assert "Traceback" not in output
