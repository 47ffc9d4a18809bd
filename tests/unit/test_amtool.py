"""Which route an alert takes, by Alertmanager's own routing (amtool): the choice among
the routes amtool matches, the unverified fallback, and amtool on the host for real.

The host's amtool (Debian's prometheus-alertmanager, installed by scripts/sysdeps) is
needed by the last tests: they are skipped without it, and fail when ``CI=true``. The
image's amtool is tested in tests/integration/test_observe_image.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from chaos.errors import LabError
from chaos.lab.observability import amtool
from chaos.lab.observability.amroutes import route_tree
from chaos.lab.observability.amtool import _label_args, matched_routes, route_of
from chaos.lab.observability.stack import alertmanager_config
from tests.needs import need_tool

PAGE_ROUTE = yaml.safe_load("""
route:
  receiver: default
  group_by: [alertname]
  group_wait: 30s
  routes:
    - matchers: ['severity="page"']
      receiver: pagerduty
      group_wait: 10s
receivers:
  - {name: default, email_configs: [{to: team@example.invalid}]}
  - {name: pagerduty, pagerduty_configs: [{routing_key: not-a-key}]}
""")

NESTED = yaml.safe_load("""
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['severity="page"']
      receiver: pager
      group_wait: 10s
      continue: true
      routes:
        - match_re: {service: "db|postgres"}
          receiver: db-pager
          group_interval: 1m
    - match: {team: shop}
      receiver: chat
      group_wait: 1m
receivers: [{name: default}, {name: pager}, {name: db-pager}, {name: chat}]
""")


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    amtool._cached.cache_clear()
    yield
    amtool._cached.cache_clear()


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """amtool stood in for: ``answers["paths"]`` are the routes it matches."""
    seen: dict[str, Any] = {"paths": ["route"], "calls": 0}

    def fake(config: dict[str, Any], labels: dict[str, str], **kw: Any) -> list[Any]:
        seen["calls"] += 1
        if seen["paths"] is None:
            raise LabError("no amtool on PATH and no observability image")
        by_path = {r.path: r for r in route_tree(config)}
        return [by_path[p] for p in seen["paths"]]

    monkeypatch.setattr(amtool, "matched_routes", fake)
    return seen


def test_of_several_matched_routes_the_one_whose_receiver_notified(answers):
    answers["paths"] = ["route.routes[0].routes[0]", "route.routes[1]"]
    labels = {"alertname": "A", "severity": "page", "service": "db", "team": "shop"}
    chat = route_of(NESTED, labels, "chat")
    assert (chat.route.path, chat.route.group_wait, chat.verified) == ("route.routes[1]",
                                                                       "1m", True)
    db = route_of(NESTED, labels, "db-pager")
    assert (db.route.group_wait, db.route.group_interval) == ("10s", "1m")  # inherited, own
    assert route_of(NESTED, labels).route.receiver == "db-pager"    # no notification yet
    assert answers["calls"] == 1                  # the same labels: amtool is asked once
    record = chat.as_record()
    assert record["matched"] == ["route.routes[0].routes[0]", "route.routes[1]"]
    assert record["verified"] is True and record["note"] is None


def test_a_receiver_amtool_did_not_match_is_said(answers):
    answers["paths"] = ["route.routes[0]"]
    verdict = route_of(NESTED, {"alertname": "A", "severity": "page"}, "chat")
    assert verdict.route.path == "route.routes[0]" and verdict.verified
    assert "'chat'" in (verdict.note or "")


def test_without_amtool_the_top_route_unverified_never_silently(answers):
    answers["paths"] = None
    verdict = route_of(PAGE_ROUTE, {"alertname": "A", "severity": "page"}, "pagerduty")
    assert verdict.route.path == "route" and verdict.route.group_wait == "30s"
    assert verdict.verified is False
    assert "amtool gave no answer" in (verdict.note or "") and "observability image" in \
        verdict.note
    assert verdict.as_record()["verified"] is False


def test_a_configuration_with_one_route_needs_no_amtool(answers):
    verdict = route_of(alertmanager_config(None), {"alertname": "A"}, "chaos")
    assert (verdict.route.group_wait, verdict.verified) == ("30s", True)
    assert answers["calls"] == 0


def test_label_values_reach_amtool_whole():
    assert _label_args({"b": 'say "hi", x=1', "a": "back\\slash\nnext"}) == [
        'a="back\\\\slash\\nnext"', 'b="say \\"hi\\", x=1"']


# ---- the host's amtool, for real ----------------------------------------------------


@pytest.fixture
def host_amtool() -> str:
    return need_tool("amtool", package="prometheus-alertmanager")


def test_a_page_waits_the_sub_routes_group_wait_and_others_the_top_routes(host_amtool,
                                                                         tmp_path):
    (tmp_path / "am.yml").write_text(yaml.safe_dump(PAGE_ROUTE))
    am = alertmanager_config(str(tmp_path / "am.yml"))    # as the lab runs it: rewired
    page = route_of(am, {"alertname": "QueueStuck", "severity": "page"}, "pagerduty",
                    use_host=True)
    assert (page.route.group_wait, page.route.receiver, page.verified) == ("10s", "pagerduty",
                                                                           True)
    ticket = route_of(am, {"alertname": "QueueSlow", "severity": "ticket"}, use_host=True)
    assert (ticket.route.group_wait, ticket.route.path) == ("30s", "route")


def test_nested_routes_and_continue_as_alertmanager_routes_them(host_amtool):
    labels = {"alertname": "A", "severity": "page", "service": "db", "team": "shop"}
    assert [r.path for r in matched_routes(NESTED, labels, use_host=True)] == [
        "route.routes[0].routes[0]", "route.routes[1]"]
    assert [r.path for r in matched_routes(NESTED, {"alertname": "A", "severity": "page"},
                                           use_host=True)] == ["route.routes[0]"]
    odd = 'shop "east", eu\\1'                     # a value amtool must read whole
    quoted = {"route": {"receiver": "r", "routes": [{"match": {"team": odd}}]},
              "receivers": [{"name": "r"}]}
    assert [r.path for r in matched_routes(quoted, {"alertname": "A", "team": odd},
                                           use_host=True)] == ["route.routes[0]"]


def test_a_configuration_amtool_rejects_is_a_lab_error(host_amtool):
    broken = {"route": {"receiver": "x", "routes": [{"matchers": ["not a matcher"]}]}}
    with pytest.raises(LabError, match="amtool config routes test failed"):
        matched_routes(broken, {"alertname": "A"}, use_host=True)

