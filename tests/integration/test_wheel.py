"""chaos installed from a wheel, run outside this repository: the sample ships as
package data, `chaos example` writes it out, and its lab comes up from there."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    """The wheel's files on PYTHONPATH, ahead of the editable checkout; cwd elsewhere."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO),
                    "-w", str(tmp / "dist")], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp / "dist").glob("*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(tmp / "site"), str(wheel)], check=True, capture_output=True, timeout=300)
    env = dict(os.environ, PYTHONPATH=str(tmp / "site"))
    return {"site": str(tmp / "site"), "cwd": str(tmp), "env": env}


def chaos(installed, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chaos", *args], cwd=installed["cwd"],
                          env=installed["env"], capture_output=True, text=True, timeout=timeout)


def test_the_installed_package_is_the_one_that_runs(installed):
    done = subprocess.run([sys.executable, "-c", "import chaos, chaos.sample as s; "
                           "print(chaos.__file__); print(s.APP_CONTEXT)"],
                          cwd=installed["cwd"], env=installed["env"], capture_output=True,
                          text=True, timeout=60, check=True)
    module, context = done.stdout.split()
    assert module.startswith(installed["site"]) and context.startswith(installed["site"])
    assert (Path(context) / "Dockerfile").is_file()


def test_example_writes_a_sample_that_validates_outside_the_repo(installed, tmp_path):
    done = chaos(installed, "example", str(tmp_path / "ex"))
    assert done.returncode == 0, done.stderr
    scenarios = sorted((tmp_path / "ex" / "scenarios").glob("*.yaml"))
    assert len(scenarios) >= 10
    done = chaos(installed, "validate", *map(str, scenarios))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok (") == len(scenarios)
    again = chaos(installed, "example", str(tmp_path / "ex"))
    assert again.returncode == 2 and "already exists" in again.stderr


@pytest.mark.docker
def test_the_written_out_sample_lab_comes_up_from_the_wheel(installed, tmp_path, lab_images):
    assert chaos(installed, "example", str(tmp_path / "ex")).returncode == 0
    up = chaos(installed, "lab", "up",
               "--scenario", str(tmp_path / "ex" / "scenarios" / "db-pause.yaml"), timeout=300)
    lab_id = re.search(r"chaos lab down (\w+)", up.stdout)
    try:
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        assert "building them" not in up.stdout          # the images were reused, not rebuilt
        url = re.search(r"app: (http://127\.0\.0\.1:\d+)", up.stdout).group(1)
        import urllib.request

        with urllib.request.urlopen(url + "/health", timeout=5) as resp:
            assert resp.status == 200 and json.loads(resp.read())
    finally:
        if lab_id:
            chaos(installed, "lab", "down", lab_id.group(1))
