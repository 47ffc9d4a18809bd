"""The markers the pytest plugin's documentation puts on tests are registered by the
plugin (issue #28): docs/ci.md's example is ``@pytest.mark.docker``, and in a user's
project, which registers no such marker, it warned PytestUnknownMarkWarning (an error
under ``filterwarnings = error``).

The example is run as docs/ci.md shows it, collected by a pytest in a fresh project
that knows nothing of chaos but the installed plugin (its entry point).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "docs" / "ci.md", REPO / "chaos" / "pytest_plugin.py")


def documented_examples() -> list[str]:
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    return [block for block in re.findall(r"```python\n(.*?)```", text, re.S)
            if "@pytest.mark." in block]


def test_every_marker_the_documentation_uses_is_registered(tmp_path):
    used = {m for doc in DOCS for m in re.findall(r"@pytest\.mark\.(\w+)", doc.read_text())}
    assert used, "the documentation's examples use no marker: this test checks nothing"
    examples = documented_examples()
    assert examples
    for i, block in enumerate(examples):
        (tmp_path / f"test_doc_{i}.py").write_text(block, encoding="utf-8")
    (tmp_path / "test_all_marks.py").write_text(
        "import pytest\n" + "".join(f"@pytest.mark.{m}\ndef test_{m}():\n    pass\n"
                                    for m in sorted(used)), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")   # the user's root
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "--strict-markers", "-W", "error::pytest.PytestUnknownMarkWarning", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "PytestUnknownMarkWarning" not in done.stdout + done.stderr
