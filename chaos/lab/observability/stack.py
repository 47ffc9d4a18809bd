"""Prometheus, Alertmanager and chaos's webhook receiver in the lab (``observe.prometheus``).

A lab whose scenario has an ``observe: {prometheus: ...}`` section gets, in its
override file, labelled like every service of the lab and published on 127.0.0.1
only:

``chaos-prometheus``
    scrapes the scenario's targets (service, port, path) every
    ``scrape_interval``, evaluates the user's rule files, copied unchanged into
    the lab's state directory, every ``evaluation_interval``, and sends its
    alerts to
``chaos-alertmanager``
    with the user's configuration (routes, ``group_wait``...) in which every
    receiver keeps its name but loses its integrations for chaos's webhook (so
    no real pager, chat or mail is ever reached), or a minimal one with
    Alertmanager's default timings; it notifies
``chaos-alert-receiver``
    (``chaos/lab/proc/alertreceiver.py`` on the Python image the lab already has),
    which stamps each notification's arrival for the ``prometheus_alert`` detector;
``chaos-postgres-exporter`` (with ``postgres_exporter: true``)
    the database's metrics, scraped as job ``postgres``.

Their data lives on tmpfs owned by ``nobody`` (the user both the Debian-built and the
upstream images run as): tearing the lab down leaves nothing. Nothing here
knows the application: what is scraped and alerted on is the scenario's.
"""

from __future__ import annotations

import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from chaos.errors import LabError
from chaos.lab.feature import LabHandle, LabSpec
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.observeset import observe_components
from chaos.scenario.observesection import PrometheusSection

PROMETHEUS = "chaos-prometheus"
ALERTMANAGER = "chaos-alertmanager"
RECEIVER = "chaos-alert-receiver"
EXPORTER = "chaos-postgres-exporter"
PROM_PORT, AM_PORT, RECEIVER_PORT, EXPORTER_PORT = 9090, 9093, 9099, 9187
CONFIG_MOUNT = "/etc/chaos-observe"
RECEIVER_URL = f"http://{RECEIVER}:{RECEIVER_PORT}/"
RECEIVER_SRC = Path(__file__).resolve().parents[1] / "proc" / "alertreceiver.py"
# What Alertmanager itself defaults to when a route sets no timing.
AM_DEFAULTS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}


def prom_duration(seconds: float) -> str:
    """15.0 -> "15s", 0.5 -> "500ms": Prometheus's duration syntax."""
    ms = round(seconds * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def observe_spec(prom: PrometheusSection) -> dict[str, Any]:
    """The ``observe.prometheus`` section as the lab keeps it (plain data, in lab.json)."""
    return {"scrape_interval": prom.scrape_interval,
            "evaluation_interval": prom.evaluation_interval,
            "targets": [{"service": t.service, "port": t.port, "path": t.path,
                         "job": t.job_name} for t in prom.targets],
            "rule_files": [str(p) for p in prom.rule_files],
            "alertmanager_config": (str(prom.alertmanager.config)
                                    if prom.alertmanager.config else None),
            "postgres_exporter": prom.postgres_exporter}


# --------------------------------------------------------------------------- configuration


def rule_file_names(files: list[str]) -> list[str]:
    """Each rule file's name in the lab: its own, numbered when two share one."""
    names = []
    for i, f in enumerate(files):
        name = Path(f).name
        names.append(name if [Path(x).name for x in files].count(name) == 1 else f"{i}-{name}")
    return names


def prometheus_config(obs: dict[str, Any], spec: LabSpec) -> dict[str, Any]:
    jobs = [{"job_name": t["job"], "metrics_path": t["path"],
             "static_configs": [{"targets": [f"{t['service']}:{t['port']}"]}]}
            for t in obs["targets"]]
    if obs.get("postgres_exporter"):
        jobs.append({"job_name": "postgres",
                     "static_configs": [{"targets": [f"{EXPORTER}:{EXPORTER_PORT}"]}]})
    return {
        "global": {"scrape_interval": prom_duration(obs["scrape_interval"]),
                   "evaluation_interval": prom_duration(obs["evaluation_interval"])},
        "rule_files": [f"{CONFIG_MOUNT}/rules/{n}" for n in rule_file_names(obs["rule_files"])],
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [f"{ALERTMANAGER}:{AM_PORT}"]}]}]},
        "scrape_configs": jobs,
    }


def alertmanager_config(user_file: str | None) -> dict[str, Any]:
    """The user's configuration with every receiver rewired to chaos's webhook, or a
    minimal one. Templates (files not in the lab) and ``*_file`` secrets are dropped:
    no integration that would use them is left."""
    hook = {"url": RECEIVER_URL, "send_resolved": True}
    if user_file is None:
        return {"route": {"receiver": "chaos", "group_by": ["alertname"], **AM_DEFAULTS},
                "receivers": [{"name": "chaos", "webhook_configs": [hook]}]}
    try:
        doc = yaml.safe_load(Path(user_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LabError(f"{user_file}: cannot read the Alertmanager configuration: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("route"), dict):
        raise LabError(f"{user_file}: not an Alertmanager configuration (no 'route:')")
    receivers = [r for r in doc.get("receivers") or [] if isinstance(r, dict) and r.get("name")]
    doc["receivers"] = [{"name": r["name"], "webhook_configs": [hook]} for r in receivers]
    doc.pop("templates", None)
    if isinstance(doc.get("global"), dict):
        doc["global"] = {k: v for k, v in doc["global"].items() if not k.endswith("_file")}
    return doc


def route_timings(am: dict[str, Any]) -> dict[str, str]:
    """The top route's timings (what a notification waits for), defaults filled in."""
    route = am.get("route") or {}
    return {k: str(route.get(k, v)) for k, v in AM_DEFAULTS.items()}


def write_configs(state_dir: Path, obs: dict[str, Any], spec: LabSpec) -> Path:
    """prometheus.yml, alertmanager.yml, the rule files and the receiver, in one directory."""
    d = state_dir / "observe"
    (d / "rules").mkdir(parents=True, exist_ok=True)
    for src, name in zip(obs["rule_files"], rule_file_names(obs["rule_files"]), strict=True):
        try:
            shutil.copyfile(src, d / "rules" / name)       # unchanged, byte for byte
        except OSError as exc:
            raise LabError(f"{src}: cannot copy the rule file into the lab: {exc}") from None
    (d / "prometheus.yml").write_text(yaml.safe_dump(prometheus_config(obs, spec),
                                                     sort_keys=False))
    am = alertmanager_config(obs.get("alertmanager_config"))
    (d / "alertmanager.yml").write_text(yaml.safe_dump(am, sort_keys=False))
    shutil.copyfile(RECEIVER_SRC, d / "alertreceiver.py")
    return d


# --------------------------------------------------------------------------- services


def _networks(base: dict[str, Any], names: list[str]) -> list[str] | None:
    """The networks the scraped services (and the db) are on; None: only the default."""
    found: list[str] = []
    for name in names:
        svc = (base.get("services") or {}).get(name)
        nets = svc.get("networks") if isinstance(svc, dict) else None
        for n in (list(nets) if nets else ["default"]):
            if n not in found:
                found.append(str(n))
    return None if found in ([], ["default"]) else found


def receiver_image(names: ImageNames | None = None) -> str:
    """The Python image every lab already has: chaos/pybase offline, else the app's base."""
    from chaos.lab.images.localimages import engine, get
    names = names or ImageNames.from_settings()
    return names.pybase if get(engine(None), names.pybase) is not None else names.app_base


def observe_override(override: dict[str, Any], base: dict[str, Any], spec: LabSpec,
                     tags: dict[str, str], state_dir: Path, obs: dict[str, Any]) -> None:
    conf = write_configs(state_dir, obs, spec)
    parts = observe_components()
    mount = [f"{conf}:{CONFIG_MOUNT}:ro"]
    nets = _networks(base, [t["service"] for t in obs["targets"]] + [spec.db_service])

    def service(image: str, argv: list[str], port: int, **more: Any) -> dict[str, Any]:
        svc: dict[str, Any] = {"image": image, "labels": tags, "entrypoint": argv,
                               "command": [], "ports": [f"127.0.0.1::{port}"],
                               "volumes": mount, "stop_grace_period": "2s", **more}
        if nets:
            svc["networks"] = nets
        return svc

    prom, am = parts["prometheus"], parts["alertmanager"]
    override["services"][PROMETHEUS] = service(
        prom.image, [*prom.argv, f"--config.file={CONFIG_MOUNT}/prometheus.yml",
                     "--storage.tsdb.path=/prometheus", f"--web.listen-address=:{PROM_PORT}",
                     "--storage.tsdb.retention.time=1d"],
        PROM_PORT, tmpfs=["/prometheus:uid=65534,gid=65534"])
    override["services"][ALERTMANAGER] = service(
        am.image, [*am.argv, f"--config.file={CONFIG_MOUNT}/alertmanager.yml",
                   "--storage.path=/alertmanager", f"--web.listen-address=:{AM_PORT}",
                   "--cluster.listen-address="],
        AM_PORT, tmpfs=["/alertmanager:uid=65534,gid=65534"])
    override["services"][RECEIVER] = service(
        receiver_image(), ["python3", "-u", f"{CONFIG_MOUNT}/alertreceiver.py",
                           str(RECEIVER_PORT)], RECEIVER_PORT)
    if obs.get("postgres_exporter"):
        exp = parts["postgres_exporter"]
        dsn = (f"postgresql://{spec.db_user}:{spec.db_password}@{spec.db_service}:"
               f"{spec.db_port}/{spec.db_name}?sslmode=disable").replace("$", "$$")
        override["services"][EXPORTER] = service(
            exp.image, [*exp.argv, f"--web.listen-address=:{EXPORTER_PORT}"], EXPORTER_PORT,
            environment={"DATA_SOURCE_NAME": dsn})


# --------------------------------------------------------------------------- addresses


def stack_urls(lab: LabHandle) -> tuple[str, str]:
    """Prometheus's and the receiver's base URLs on 127.0.0.1."""
    host, port = lab.published(PROMETHEUS, PROM_PORT)
    rhost, rport = lab.published(RECEIVER, RECEIVER_PORT)
    return f"http://{host}:{port}", f"http://{rhost}:{rport}"


def alertmanager_url(lab: LabHandle) -> str:
    host, port = lab.published(ALERTMANAGER, AM_PORT)
    return f"http://{host}:{port}"


def wait_stack_ready(lab: LabHandle, timeout: float = 60) -> float:
    """Until Prometheus and Alertmanager say ready and the receiver answers; seconds."""
    t0 = time.monotonic()
    prom, receiver = stack_urls(lab)
    checks = {"Prometheus": prom + "/-/ready", "Alertmanager": alertmanager_url(lab) + "/-/ready",
              "the alert receiver": receiver + "/-/ready"}
    for what, url in checks.items():
        last = ""
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError as exc:
                last = str(exc)
            if time.monotonic() - t0 > timeout:
                raise LabError(f"lab {lab.id}: {what} was not ready within {timeout:.0f} s "
                               f"({url}: {last or 'not 200'})")
            time.sleep(0.2)
    return time.monotonic() - t0


def restart_stack(lab: LabHandle) -> float:
    """Between trials: Prometheus, Alertmanager and the receiver start afresh (their
    data is on tmpfs), so no trial's alert sees the last one's errors in its windows
    or inherits its firing state; seconds, until ready again."""
    t0 = time.monotonic()
    for name in (PROMETHEUS, ALERTMANAGER, RECEIVER):
        lab.container(name).restart(timeout=5)
    wait_stack_ready(lab)
    return round(time.monotonic() - t0, 3)
