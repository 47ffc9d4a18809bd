"""The sample's Prometheus rule files (chaos/sample/compose/prometheus): each alert has
its rule file and its promtool tests. promtool itself runs them in
tests/integration/test_sample_rules_promtool.py (the host's, else the observability
image's)."""

from __future__ import annotations

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

