"""A pytest session ended by SIGTERM (a CI job cancelled, a timeout) still tears down.

A throwaway test suite makes a labelled container in a fixture, then waits; we
send its pytest SIGTERM. With chaos's plugin (it asks SIGTERM to unwind like
Ctrl-C once a test uses ``chaos_run``) the fixture's teardown removes the
container; with the plugin disabled the same suite leaves it behind, which is
the failure this guards against (that container is then removed by its label).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaos.lab.images.recipes import PYBASE_TAG

pytestmark = pytest.mark.docker

SUITE = '''
import time

import docker
import pytest


@pytest.fixture
def bystander(chaos_run):
    client = docker.from_env()
    box = client.containers.run("{image}", ["sleep", "120"], detach=True,
                                labels={{"chaos.lab": "{lab}"}})
    yield box
    box.remove(force=True)


def test_waits(bystander):
    print("READY", flush=True)
    time.sleep(90)
'''


def containers(lab: str) -> list[str]:
    return subprocess.run(["docker", "ps", "-aq", "--filter", f"label=chaos.lab={lab}"],
                          capture_output=True, text=True, timeout=60).stdout.split()


def sigterm_session(tmp: Path, *extra: str) -> tuple[int, str, str]:
    lab = f"test-{secrets.token_hex(4)}"
    (tmp / "test_suite.py").write_text(SUITE.format(image=PYBASE_TAG, lab=lab))
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider",
                             *extra, "test_suite.py"], cwd=tmp, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + 60
    for line in proc.stdout:   # bounded: the suite prints READY or ends
        seen.append(line)
        if "READY" in line or time.monotonic() > deadline:
            break
    assert any("READY" in line for line in seen), "".join(seen)
    assert containers(lab), "the fixture made no container"
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    return proc.returncode, lab, "".join(seen) + rest


def test_sigterm_runs_fixture_teardown_with_the_plugin(tmp_path):
    code, lab, output = sigterm_session(tmp_path)
    assert code == 2, output   # pytest's "interrupted"
    assert containers(lab) == [], f"the fixture's container was left behind:\n{output}"
    # pytest saw an interruption (its own summary line), not a crash of the process
    assert "KeyboardInterrupt" in output or "Interrupted" in output, output


def test_without_the_plugin_sigterm_leaves_the_container(tmp_path):
    # The same suite without chaos's plugin: the chaos_run fixture is missing, so give
    # the suite its own empty one; SIGTERM then kills pytest before any teardown.
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef chaos_run():\n    return None\n")
    code, lab, output = sigterm_session(tmp_path, "-p", "no:chaos")
    try:
        assert code == -signal.SIGTERM, output
        assert containers(lab), "expected the container left behind without the plugin"
    finally:
        ids = containers(lab)
        if ids:
            subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, timeout=60)
