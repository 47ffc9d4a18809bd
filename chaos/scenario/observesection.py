"""The scenario's ``observe:`` section: the user's own alerting, run in the lab.

    observe:
      prometheus:
        scrape_interval: 15s          # the default, as evaluation_interval
        evaluation_interval: 15s
        targets:
          - {service: app, port: 8080, path: /metrics}
        rule_files: [../alerting/rules.yml]     # loaded unchanged
        alertmanager:
          config: ../alerting/alertmanager.yml  # optional: routes, group_wait...
        postgres_exporter: true                 # optional: the db's metrics too

Prometheus, Alertmanager (and the exporter) join the lab as labelled services
(``chaos.lab.observability.stack``); a ``prometheus_alert`` detector follows one alert
through them. The alert names the rule files define are read here, so that a
detector naming one that does not exist is a validation error with a
suggestion; the files' PromQL is checked by promtool before the lab starts
(``chaos.lab.observability.promtool``, given to ``load_scenario`` as its ``rule_check``). The
Alertmanager configuration's shape is checked here, then by ``amtool check-config``
(``chaos.lab.observability.amcheck``, the ``config_check``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, Field, PrivateAttr, TypeAdapter, field_validator

from chaos.scenario.base import Strict
from chaos.scenario.contextual import ScenarioFile, ServiceName
from chaos.scenario.duration import Duration
from chaos.userfiles import BadFile, read_text

# Prometheus's own default is 1m for both; 15s is what its example configuration,
# and most production setups, use: a lab measured at 1m would overstate every TTD.
DEFAULT_INTERVAL_S = 15.0


class ScrapeTarget(Strict):
    service: ServiceName
    """A service of the lab's compose file."""
    port: int = Field(ge=1, le=65535)
    """The port its metrics are served on, inside the lab network."""
    path: str = Field("/metrics", pattern=r"^/[^\s]*$", max_length=2000)
    job: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=200)
    """The ``job`` label (default: the service's name)."""

    @property
    def job_name(self) -> str:
        return self.job or self.service


def _alertmanager_file(path: Path) -> Path:
    alertmanager_shape(path)   # not YAML, not a mapping, no route: this file's line
    return path


class AlertmanagerSection(Strict):
    config: Annotated[ScenarioFile, AfterValidator(_alertmanager_file)] | None = None
    """The user's alertmanager.yml: its routes and timings are kept; every receiver's
    integrations are replaced by chaos's webhook, so nobody real is ever paged. Without
    one: a single route with Alertmanager's default timings (group_wait 30s)."""


class PrometheusSection(Strict):
    scrape_interval: Duration = DEFAULT_INTERVAL_S
    evaluation_interval: Duration = DEFAULT_INTERVAL_S
    targets: list[ScrapeTarget] = Field(min_length=1, max_length=50)
    rule_files: list[ScenarioFile] = Field([], max_length=50)
    alertmanager: AlertmanagerSection = AlertmanagerSection()
    postgres_exporter: bool = False
    """A prometheus-postgres-exporter for the db service, scraped as job ``postgres``."""

    _alerts: dict[str, Path] = PrivateAttr(default_factory=dict)

    @field_validator("rule_files")
    @classmethod
    def _rule_files_parse(cls, files: list[Path]) -> list[Path]:
        for path in files:
            alert_names(path)   # a YAML error or a wrong shape: this file's line
        return files

    def model_post_init(self, context: Any) -> None:
        for path in self.rule_files:
            for name in alert_names(path):
                self._alerts.setdefault(name, path)

    @property
    def alerts(self) -> dict[str, Path]:
        """Every alert the rule files define, and the file defining it."""
        return dict(self._alerts)


class ObserveSection(Strict):
    prometheus: PrometheusSection | None = None


MAX_RULE_FILE_BYTES = 5_000_000
_RULE_FILE: TypeAdapter[Path] = TypeAdapter(ScenarioFile)


def valid_rule_files(data: Any, context: dict[str, Any]) -> list[Path]:
    """The rule files a scenario's raw data names that are valid on their own (found, in
    the project, shaped as rule files), whatever else is wrong with it: promtool checks
    them beside the schema's problems, so that every problem is reported at once."""
    observe = data.get("observe") if isinstance(data, dict) else None
    prom = observe.get("prometheus") if isinstance(observe, dict) else None
    files = prom.get("rule_files") if isinstance(prom, dict) else None
    found = []
    for entry in files if isinstance(files, list) else []:
        try:
            path = _RULE_FILE.validate_python(entry, context=context)
            alert_names(path)
        except ValueError:   # pydantic's ValidationError too: the schema reports it
            continue
        found.append(path)
    return found


def valid_alertmanager_configs(data: Any, context: dict[str, Any]) -> list[Path]:
    """The scenario's Alertmanager configuration when it is valid on its own (found, in
    the project, shaped as one), whatever else is wrong: amtool checks it beside the
    schema's problems, as promtool does the rule files."""
    observe = data.get("observe") if isinstance(data, dict) else None
    prom = observe.get("prometheus") if isinstance(observe, dict) else None
    am = prom.get("alertmanager") if isinstance(prom, dict) else None
    entry = am.get("config") if isinstance(am, dict) else None
    if entry is None:
        return []
    try:
        path = _RULE_FILE.validate_python(entry, context=context)
        alertmanager_shape(path)
    except ValueError:   # pydantic's ValidationError too: the schema reports it
        return []
    return [path]


def alertmanager_shape(path: Path) -> None:
    """``ValueError`` naming the file and line when an Alertmanager configuration is not
    YAML, not a mapping, or has no ``route:`` mapping; what Alertmanager itself checks
    beyond that is amtool's (``chaos.lab.observability.amcheck``)."""
    try:
        text = read_text(path, MAX_RULE_FILE_BYTES, "Alertmanager configuration")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except BadFile as exc:
        at = f":{exc.line}" if exc.line else ""
        raise ValueError(f"{path}{at}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        why = getattr(exc, "problem", None) or "not valid YAML"
        raise ValueError(f"{path}{at}: not a valid Alertmanager configuration: {why}") from None
    what = "an Alertmanager configuration is a mapping with a 'route:'"
    if not isinstance(node, yaml.MappingNode):
        found = {yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}.get(
            type(node), "nothing") if node is not None else "nothing (the file is empty)"
        line = node.start_mark.line + 1 if node is not None else 1
        raise ValueError(f"{path}:{line}: {what}; found {found}")
    route = next((v for k, v in node.value if getattr(k, "value", None) == "route"), None)
    if route is None:
        raise ValueError(f"{path}:{node.start_mark.line + 1}: {what}; it has no 'route:' "
                         "(the top route, with its receiver)")
    if not isinstance(route, yaml.MappingNode):
        raise ValueError(f"{path}:{route.start_mark.line + 1}: 'route:' must be a mapping "
                         "(receiver, group_by, routes...)")


def alert_names(path: Path) -> list[str]:
    """The ``alert:`` names of a Prometheus rule file; ``ValueError`` naming the file and
    line when it is not YAML or not shaped as ``groups: [{name, rules: [...]}]``."""
    try:
        text = read_text(path, MAX_RULE_FILE_BYTES, "rule file")
    except BadFile as exc:
        at = f":{exc.line}" if exc.line else ""
        raise ValueError(f"{path}{at}: {exc.message}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        why = getattr(exc, "problem", None) or "not valid YAML"
        raise ValueError(f"{path}{at}: not a valid rule file: {why}") from None
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list):
        raise ValueError(f"{path}:1: not a Prometheus rule file (no 'groups:' list)")
    names = []
    for group in groups:
        rules = group.get("rules") if isinstance(group, dict) else None
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, dict) and isinstance(rule.get("alert"), str):
                names.append(rule["alert"])
    return names
