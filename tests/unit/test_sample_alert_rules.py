"""The sample's Prometheus rule files (chaos/sample/compose/prometheus): valid, and
firing when their promtool unit tests say. promtool is not a dependency of chaos
(Debian's `prometheus` package has it); without it these tests skip."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from chaos.sample import SAMPLE_DIR

PROMETHEUS = SAMPLE_DIR / "compose" / "prometheus"
RULES = sorted((PROMETHEUS / "rules").glob("*.yml"))
TESTS = sorted((PROMETHEUS / "tests").glob("*_test.yml"))


def test_each_rule_file_has_its_alert_and_its_tests():
    alerts = {f.name: [r["alert"] for g in yaml.safe_load(f.read_text())["groups"]
                       for r in g["rules"] if "alert" in r] for f in RULES}
    assert alerts == {"slo-burn-rate.yml": ["ShopErrorBudgetBurn"],
                      "slow.yml": ["ShopErrorRateHigh"]}
    tested = {name for t in TESTS for name in yaml.safe_load(t.read_text())["rule_files"]}
    assert tested == {f"../rules/{f.name}" for f in RULES}


@pytest.mark.parametrize("args", [["check", "rules", *RULES], ["test", "rules", *TESTS]],
                         ids=["check", "test"])
def test_promtool(args):
    if shutil.which("promtool") is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    proc = subprocess.run(["promtool", *map(str, args)], cwd=PROMETHEUS, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
