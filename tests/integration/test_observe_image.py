"""The observability image on a real engine: its binaries start, promtool checks rules,
and a headless stack (no console files, no UI assets) serves its APIs.

The image is built by ``make images`` (``chaos lab build --offline --observe``); the fixture only
builds it when it is missing or outdated, never per test.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from chaos.lab.images.observeset import Component, ensure_observe_image, observe_components
from chaos.lab.images.recipes import DB_TAG
from chaos.lab.observability.amtool import matched_routes
from chaos.lab.observability.promtool import CHECK_LAB_ID, check_rules
from tests.needs import unavailable

pytestmark = pytest.mark.docker

RULES = Path(__file__).resolve().parents[1] / "data" / "rules"


@pytest.fixture(scope="module")
def parts(docker_client) -> dict[str, Component]:
    infos = ensure_observe_image(client=docker_client, log=lambda m: print(m, flush=True))
    print("observe images:", [(i.tag, i.size_bytes >> 20, i.built) for i in infos])
    return observe_components(docker_client)


def _remove(container: Any) -> None:
    try:
        container.remove(force=True, v=True)
    except Exception:
        pass


def run(client: Any, comp: Component, args: list[str], labels: dict[str, str],
        **kw: Any) -> tuple[int, str]:
    c = client.containers.create(comp.image, entrypoint=list(comp.argv), command=args,
                                 labels=labels, network_mode="none", **kw)
    try:
        c.start()
        code = c.wait(timeout=60)["StatusCode"]
        return code, c.logs().decode(errors="replace")
    finally:
        _remove(c)


@pytest.mark.parametrize("part, version", [
    ("prometheus", "prometheus, version 2.42"), ("promtool", "promtool, version 2.42"),
    ("alertmanager", "alertmanager, version 0.25"), ("amtool", "amtool, version 0.25"),
    ("postgres_exporter", "postgres_exporter, version 0.11"),
])
def test_every_binary_starts(parts, docker_client, test_label, part, version):
    code, out = run(docker_client, parts[part], ["--version"], test_label)
    assert code == 0 and version in out, out


def test_promtool_check_rules_good_and_bad(parts, docker_client, test_label):
    mounts = {str(RULES / n): {"bind": f"/r/{n}", "mode": "ro"}
              for n in ("good.yml", "bad_expr.yml")}
    code, out = run(docker_client, parts["promtool"], ["check", "rules", "/r/good.yml"],
                    test_label, volumes=mounts)
    assert code == 0 and "SUCCESS: 2 rules found" in out, out
    code, out = run(docker_client, parts["promtool"], ["check", "rules", "/r/bad_expr.yml"],
                    test_label, volumes=mounts)
    assert code != 0 and "/r/bad_expr.yml: 7:15: " in out, out


def test_check_rules_reports_host_files_and_lines(parts, docker_client, tmp_path):
    assert check_rules([RULES / "good.yml"], use_host=False, client=docker_client) == []
    private = tmp_path / "private.yml"          # 0600: read as the host's uid, not root's
    private.write_bytes((RULES / "unknown_field.yml").read_bytes())
    private.chmod(0o600)
    problems = check_rules([RULES / "good.yml", RULES / "bad_expr.yml", private,
                            tmp_path / "missing.yml"], use_host=False, client=docker_client)
    got = [(p.file, p.line) for p in problems]
    assert got == [(tmp_path / "missing.yml", None), (RULES / "bad_expr.yml", 7), (private, 6)]
    assert "could not parse expression" in problems[1].message
    leftover = docker_client.containers.list(all=True,
                                             filters={"label": f"chaos.lab={CHECK_LAB_ID}"})
    assert leftover == []


def test_the_images_amtool_routes_a_page_through_its_sub_route(parts, docker_client):
    am = {"route": {"receiver": "default", "group_by": ["alertname"], "group_wait": "30s",
                    "routes": [{"matchers": ['severity="page"'], "receiver": "pagerduty",
                                "group_wait": "10s"}]},
          "receivers": [{"name": "default"}, {"name": "pagerduty"}]}
    (page,) = matched_routes(am, {"alertname": "QueueStuck", "severity": "page"},
                             use_host=False, client=docker_client)
    assert (page.path, page.receiver, page.group_wait) == ("route.routes[0]", "pagerduty", "10s")
    (other,) = matched_routes(am, {"alertname": "QueueSlow", "severity": "ticket"},
                              use_host=False, client=docker_client)
    assert (other.path, other.group_wait) == ("route", "30s")
    assert docker_client.containers.list(all=True, filters={"label": "chaos.lab=amtool"}) == []


def test_the_ui_assets_are_gone_and_the_image_is_small(parts, docker_client, test_label):
    prom = parts["prometheus"]
    if not prom.image.endswith("observe:latest"):
        unavailable("the online observability set is in use (upstream images are not ours "
                    "to trim); `make test` builds the offline one")
    sh = Component(prom.image, ("/bin/sh", "-c"))
    stripped = ("/usr/share/javascript /usr/share/prometheus/web /usr/share/nodejs "
                "/usr/share/fonts /usr/share/doc /usr/share/man /usr/share/locale")
    code, out = run(docker_client, sh, [f"find {stripped} -type f ! -name copyright "
                                        "! -name locale.alias 2>/dev/null; ls /etc/prometheus"],
                    test_label)
    assert out.split() == ["alertmanager.yml", "alertmanager_templates", "prometheus.yml"], out
    size = docker_client.images.get(prom.image).attrs["Size"]
    assert size < 300e6, f"{prom.image} grew to {size / 1e6:.0f} MB"


# --------------------------------------------------------------------------- a live stack

PROMETHEUS_YML = """\
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [/etc/chaos/rules.yml]
alerting:
  alertmanagers: [{static_configs: [{targets: ["am:9093"]}]}]
scrape_configs:
  - job_name: exporter
    static_configs: [{targets: ["exporter:9187"]}]
"""
RULES_YML = """\
groups:
  - name: probe
    rules:
      - alert: AlwaysFiring
        expr: vector(1) > 0
        labels: {severity: test}
"""
ALERTMANAGER_YML = """\
route: {receiver: none, group_wait: 0s}
receivers: [{name: none}]
"""


def _get(url: str, deadline: float, ok: Any) -> Any:
    last: Any = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                last = r.read().decode()
            value = json.loads(last) if last[:1] in "{[" else last
            if ok(value):
                return value
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never gave what was expected; last answer: {last!r:.500}")


def _port(c: Any, port: str) -> str:
    c.reload()
    return str(c.attrs["NetworkSettings"]["Ports"][port][0]["HostPort"])


@pytest.fixture
def stack(parts, lab_images, docker_client, test_label, tmp_path):
    """db + exporter + alertmanager + prometheus on one labelled network; console flags
    unset (their directories are not in the image)."""
    for name, text in (("prometheus.yml", PROMETHEUS_YML), ("rules.yml", RULES_YML),
                       ("alertmanager.yml", ALERTMANAGER_YML)):
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o644)
    net = docker_client.networks.create(f"chaos-observe-{secrets.token_hex(4)}",
                                        labels=test_label)
    made: list[Any] = []

    def start(image: str, alias: str, argv: tuple[str, ...] = (), args: tuple[str, ...] = (),
              **kw: Any) -> Any:
        c = docker_client.containers.create(
            image, entrypoint=list(argv) or None, command=list(args) or None, labels=test_label,
            network=net.name, **kw)
        made.append(c)
        net.disconnect(c)   # re-attach with the alias the configs use
        net.connect(c, aliases=[alias])
        c.start()
        return c

    try:
        password = secrets.token_hex(8)
        start(DB_TAG, "db", environment={"POSTGRES_PASSWORD": password})
        ex = parts["postgres_exporter"]
        start(ex.image, "exporter", ex.argv, environment={
            "DATA_SOURCE_NAME": f"postgresql://postgres:{password}@db:5432/postgres"
                                "?sslmode=disable"})
        am = parts["alertmanager"]
        amc = start(am.image, "am", am.argv,
                    ("--config.file=/etc/chaos/alertmanager.yml", "--storage.path=/alertmanager"),
                    volumes={str(tmp_path / "alertmanager.yml"):
                             {"bind": "/etc/chaos/alertmanager.yml", "mode": "ro"}},
                    ports={"9093/tcp": ("127.0.0.1", None)})
        pr = parts["prometheus"]
        prc = start(pr.image, "prometheus", pr.argv,
                    ("--config.file=/etc/chaos/prometheus.yml", "--storage.tsdb.path=/prometheus",
                     # an alert sent before Prometheus knew the Alertmanager waits 1 m
                     "--rules.alert.resend-delay=1s"),
                    volumes={str(tmp_path / n): {"bind": f"/etc/chaos/{n}", "mode": "ro"}
                             for n in ("prometheus.yml", "rules.yml")},
                    ports={"9090/tcp": ("127.0.0.1", None)})
        yield (f"http://127.0.0.1:{_port(prc, '9090/tcp')}",
               f"http://127.0.0.1:{_port(amc, '9093/tcp')}")
    finally:
        for c in made:
            _remove(c)
        net.remove()


def test_a_headless_stack_serves_its_apis(stack):
    prom, am = stack
    deadline = time.monotonic() + 90
    _get(f"{prom}/-/ready", deadline, lambda v: "Ready" in v)
    info = _get(f"{prom}/api/v1/status/buildinfo", deadline, lambda v: v["status"] == "success")
    assert info["data"]["version"].startswith("2.42")
    rules = _get(f"{prom}/api/v1/rules", deadline,
                 lambda v: v["data"]["groups"] and v["data"]["groups"][0]["rules"][0]["health"]
                 == "ok")
    assert rules["data"]["groups"][0]["rules"][0]["name"] == "AlwaysFiring"
    _get(f"{prom}/api/v1/query?query=pg_up", deadline,
         lambda v: [r["value"][1] for r in v["data"]["result"]] == ["1"])
    _get(f"{prom}/api/v1/alerts", deadline,
         lambda v: [a["state"] for a in v["data"]["alerts"]] == ["firing"])
    _get(f"{am}/api/v2/alerts", deadline,
         lambda v: [a["labels"]["alertname"] for a in v] == ["AlwaysFiring"])
