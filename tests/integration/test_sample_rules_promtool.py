"""The sample's Prometheus rule files (chaos/sample/compose/prometheus) pass
``promtool check rules`` and their own promtool unit tests (whose figures README.md and
docs/alerting.md quote).

promtool runs the way ``chaos validate`` runs it (:mod:`chaos.lab.observability.tools`): the
host's when it is on PATH, else the one in the observability image, in a throwaway
container. So these tests need Docker (or promtool) and fail, never skip, under
``CI=true``. They time nothing: they run beside the labs (tests/conftest.py).
"""

from __future__ import annotations

import shutil

import pytest

from chaos.lab.observability.tools import run_tool
from chaos.sample import SAMPLE_DIR

pytestmark = pytest.mark.docker

PROMETHEUS = SAMPLE_DIR / "compose" / "prometheus"
RULES = sorted(p.relative_to(PROMETHEUS) for p in (PROMETHEUS / "rules").glob("*.yml"))
TESTS = sorted(p.relative_to(PROMETHEUS) for p in (PROMETHEUS / "tests").glob("*_test.yml"))


@pytest.fixture
def promtool_where(request) -> str:
    """'host' or 'image'; the image is built (by `make images`) when the host has none."""
    if shutil.which("promtool") is not None:
        return "host"
    request.getfixturevalue("observe_image")
    return "image"


# The whole directory is given to promtool (mounted as one, in the image), since the
# test files name their rule files relative to themselves (`../rules/slow.yml`).
@pytest.mark.parametrize(("command", "files"), [("check", RULES), ("test", TESTS)],
                         ids=["check", "test"])
def test_promtool(command, files, promtool_where, docker_client):
    run = run_tool("promtool", [PROMETHEUS],
                   lambda d: [command, "rules", *(f"{d[0]}/{f}" for f in files)],
                   client=docker_client)
    print(f"promtool {command} rules ({promtool_where}: {run.where})\n{run.stdout}{run.stderr}")
    assert run.code == 0, run.stdout + run.stderr
    assert run.stdout.count("SUCCESS") == len(files), run.stdout   # one per file
