"""Alertmanager's routing tree read from its configuration: inherited timings and
receivers, matchers in every syntax, and the copy whose receivers name the routes."""

from __future__ import annotations

import copy

import yaml

from chaos.lab.observability.amroutes import Route, route_tree, tagged_copy
from chaos.lab.observability.stack import alertmanager_config

NESTED = yaml.safe_load("""
route:
  receiver: default
  group_by: [alertname]
  group_interval: 2m
  routes:
    - matchers: ['severity="page"']          # no receiver: the parent's
      group_wait: 10s
      continue: true
      routes:
        - match_re: {service: db|postgres}
          receiver: db-pager
          group_interval: 1m
          routes:
            - match: {team: dba}
              repeat_interval: 1h
    - match: {team: shop}
      receiver: chat
      group_wait: 1m
receivers: [{name: default}, {name: db-pager}, {name: chat}]
""")


def test_every_route_inherits_what_it_does_not_set():
    tree = route_tree(NESTED)
    assert tree == [
        Route("route", "default", (), "30s", "2m", "4h"),
        Route("route.routes[0]", "default", ('severity="page"',), "10s", "2m", "4h"),
        Route("route.routes[0].routes[0]", "db-pager", ('service=~"db|postgres"',),
              "10s", "1m", "4h"),
        Route("route.routes[0].routes[0].routes[0]", "db-pager", ('team="dba"',),
              "10s", "1m", "1h"),
        Route("route.routes[1]", "chat", ('team="shop"',), "1m", "2m", "4h"),
    ]


def test_the_top_route_without_timings_has_alertmanagers_defaults():
    (top,) = route_tree(alertmanager_config(None))
    assert (top.group_wait, top.group_interval, top.repeat_interval) == ("30s", "5m", "4h")
    assert top.receiver == "chaos"


def test_matchers_in_every_syntax_are_kept_as_written():
    (_, child) = route_tree({"route": {"receiver": "r", "routes": [{
        "match": {"a": "1"}, "match_re": {"b": "x|y"},
        "matchers": ['c!="2"', '{d=~"z.*", e="3"}']}]}})
    assert child.matchers == ('a="1"', 'b=~"x|y"', 'c!="2"', '{d=~"z.*", e="3"}')


def test_the_tagged_copy_gives_each_route_a_receiver_of_its_own():
    before = copy.deepcopy(NESTED)
    tagged, by_name = tagged_copy(NESTED)
    assert before == NESTED                      # the configuration itself is untouched
    assert tagged["route"]["receiver"] == "chaos-route-0"
    assert tagged["route"]["routes"][0]["receiver"] == "chaos-route-1"
    assert tagged["route"]["routes"][0]["routes"][0]["routes"][0]["receiver"] == "chaos-route-3"
    assert tagged["route"]["routes"][1]["receiver"] == "chaos-route-4"
    assert tagged["receivers"] == [{"name": f"chaos-route-{i}"} for i in range(5)]
    # everything else Alertmanager reads is kept: matchers, continue, grouping
    assert tagged["route"]["routes"][0]["continue"] is True
    assert tagged["route"]["group_by"] == ["alertname"]
    assert [by_name[f"chaos-route-{i}"] for i in range(5)] == route_tree(NESTED)


def test_a_configuration_without_a_route_is_one_default_route():
    assert route_tree({}) == [Route("route", "", (), "30s", "5m", "4h")]
