"""Shared test set-up.

Tests marked ``docker`` need a real Docker engine. Without one they are skipped,
except in CI (``CI=true``), where a missing engine is a broken machine and they fail;
every other tool a test needs goes the same way (:mod:`tests.needs`).
"""

from __future__ import annotations

import functools
import os
import secrets
import time

import pytest

from tests.needs import unavailable


@functools.cache
def _docker_problem() -> str | None:
    """None if the Docker engine answers, else why not."""
    try:
        import docker

        c = docker.from_env(timeout=10)
        try:
            c.ping()
        finally:
            c.close()
    except Exception as exc:  # any failure means: no usable engine
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(autouse=True)
def _own_settings():
    """Each test starts from the environment's settings and leaves none behind: a CLI
    flag run in-process (``--allow-remote``) changes ``chaos.settings`` for the process."""
    from chaos import settings

    with settings.override():
        yield


def pytest_configure(config: pytest.Config) -> None:
    # A SIGTERM to this suite (CI cancelled, a timeout) unwinds like Ctrl-C, so the
    # fixtures' teardowns remove the labs and containers they made.
    from chaos.signals import terminate_like_ctrl_c

    terminate_like_ctrl_c()


# Engine tests that time nothing: they may run beside the lab tests (on the unit tests'
# worker, once those are done). The registry path alone pushes and builds for minutes.
# The interruption and blast-radius tests check what is left behind, never a duration,
# and each selects by its own lab's label (`lab down --stale` spares labs whose owner
# lives), so a lab next door cannot confuse them. test_lab.py stays with the labs: it
# runs two labs at once, and beside the other worker's lab that makes three.
BESIDE_THE_LABS = {"test_registry_path.py", "test_wheel.py", "test_images.py",
                   "test_junit_on_failure.py", "test_pytest_sigterm.py",
                   "test_safety_interrupt.py", "test_safety_blast.py", "test_interrupt.py",
                   "test_observe_image.py", "test_observe_registry.py", "test_app_metrics.py",
                   "test_alerting_faults.py", "test_not_measured.py",
                   "test_sample_rules_promtool.py", "test_newcomer_path.py",
                   "test_blast_processes.py", "test_remote_worker.py"}


@pytest.hookimpl(tryfirst=True)   # before xdist reads the groups from the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # `make test` runs two workers (pytest-xdist, --dist loadgroup): every test that runs
    # labs and measures times on them shares one worker, one after another; the unit
    # tests, then the engine tests that time nothing, run on the other.
    for item in items:
        if item.path.name in BESIDE_THE_LABS:
            item.add_marker(pytest.mark.xdist_group("beside"))
        elif "unit" not in item.path.parts:
            item.add_marker(pytest.mark.xdist_group("lab"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") is None:
        return
    problem = _docker_problem()
    if problem is not None:
        unavailable(f"the Docker engine is unreachable ({problem}): start dockerd "
                    "(or fix DOCKER_HOST) on this machine")


@pytest.fixture(autouse=True)
def _chaos_environment_restored():
    """The CLI's --allow-outside-files / --allow-remote set CHAOS_* variables in this
    process (commands read them later): a test that calls the CLI in-process must not
    leave them to the tests after it on the same worker."""
    before = {k: v for k, v in os.environ.items() if k.startswith("CHAOS_")}
    yield
    for key in [k for k in os.environ if k.startswith("CHAOS_") and k not in before]:
        del os.environ[key]
    os.environ.update(before)


@pytest.fixture(scope="session")
def docker_client():
    from chaos.lab.engine import client

    return client()


@pytest.fixture(scope="session")
def lab_images(docker_client):
    """The lab images, built offline (once per session, and only if missing/stale).

    Returns ``{tag: ImageInfo}``; ``lab_images["_seconds"]`` is how long the call took.
    """
    from chaos.lab.images.labset import build_images

    t0 = time.monotonic()
    infos = build_images(offline=True, client=docker_client, log=lambda m: print(m, flush=True))
    out: dict = {i.tag: i for i in infos}
    out["_seconds"] = time.monotonic() - t0
    return out


@pytest.fixture
def test_label() -> dict[str, str]:
    """A fresh ``chaos.lab=test-<random>`` label for containers a test starts."""
    return {"chaos.lab": f"test-{secrets.token_hex(4)}"}


@pytest.fixture(scope="session")
def observe_image(docker_client):
    """The observability image (Prometheus, Alertmanager, the exporter), built once
    (by ``make images``; here only if missing or stale)."""
    from chaos.lab.images.observeset import ensure_observe_image

    return ensure_observe_image(client=docker_client, log=lambda m: print(m, flush=True))


@pytest.fixture(scope="session")
def loadworker_image(docker_client) -> str:
    """The load-worker image (the host's Locust on Debian), built by ``make images``; here
    only if missing or outdated (a new Locust in the venv). Returns its tag."""
    from chaos.lab.images.loadworkerset import ensure_loadworker_image

    infos = ensure_loadworker_image(client=docker_client, log=lambda m: print(m, flush=True))
    return infos[0].tag
