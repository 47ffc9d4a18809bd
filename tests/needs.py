"""What a test needs from the machine: skipped without it, except in CI (``CI=true``),
where a missing tool is a broken machine and the test fails instead.

    def test_routes(tmp_path):
        amtool = need_tool("amtool", package="prometheus-alertmanager")

A test never calls ``pytest.skip`` for a missing tool, engine or privilege itself: a
skip is invisible in a green CI run, and the tests behind it (the sample rule files'
own unit tests, the browser tests) would silently stop running. ``scripts/sysdeps
test`` installs every tool named here.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

#: Where Debian puts administrators' tools (debootstrap): off an ordinary user's PATH.
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def unavailable(why: str) -> NoReturn:
    """Skip the running test for ``why`` (the machine lacks something); fail it in CI."""
    if in_ci():
        pytest.fail(f"CI=true but {why}; the tests that need it must run in CI "
                    "(`make test` runs scripts/sysdeps test, which installs it)", pytrace=False)
    pytest.skip(why)


def find_tool(*names: str) -> str | None:
    """The first of ``names`` on PATH, else in an sbin directory; None if nowhere."""
    for name in names:
        found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))
        if found:
            return found
    return None


def need_tool(name: str, *alternatives: str, package: str | None = None) -> str:
    """The path of ``name`` (or of the first alternative found); the test is skipped
    without any, or fails under CI. ``package``: the Debian package that brings it."""
    found = find_tool(name, *alternatives)
    if found is None:
        unavailable(f"{name} is not installed (apt-get install {package or name})")
    return found


def need_root(what: str) -> None:
    """Root, for ``what`` (a chroot, a mount); skipped without it, failing under CI."""
    if os.geteuid() != 0:
        unavailable(f"{what} needs root")
