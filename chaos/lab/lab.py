"""A lab: one isolated compose project (app + database + helpers) per run.

    lab = Lab.create(LabSpec(compose_file=...), owner_pid=os.getpid())
    lab.up()            # compose up, then wait until every service is healthy
    lab.app_url         # http://127.0.0.1:<port chosen by Docker>
    lab.down()          # compose down -v, then a sweep of anything labelled ours

The user's compose file is never edited: an override file generated next to the
lab's state adds our labels to every service, network and volume it declares.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from docker.models.containers import Container

from chaos.errors import LabError, UsageError
from chaos.lab import labels
from chaos.lab.compose import Compose
from chaos.lab.composedoc import build_image_name, built_services
from chaos.lab.engine import client
from chaos.lab.feature import LabSpec, OverrideDoc
from chaos.lab.labspec import spec_from_json, spec_to_json
from chaos.lab.loadprocs import LOAD_PROCS, OLD_LOAD_PIDS, record_load_pids, stop_orphan_load
from chaos.lab.resources import list_resources, sweep, wait_healthy

__all__ = ["Lab", "LabSpec", "state_root"]


def state_root() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "chaos" / "labs"


@dataclass
class Lab:
    id: str
    spec: LabSpec
    owner_pid: int
    primary: str = ""   # the service that is the primary now; "" the db service (failover)

    # ---- life cycle -------------------------------------------------------

    @classmethod
    def create(cls, spec: LabSpec, owner_pid: int | None) -> Lab:
        compose_file = Path(spec.compose_file)
        if not compose_file.is_file():
            raise LabError(f"{compose_file}: compose file not found")
        lab = cls(id=secrets.token_hex(4), spec=spec, owner_pid=owner_pid or 0)
        lab.state_dir.mkdir(parents=True, exist_ok=True)
        lab._write_override()
        (lab.state_dir / "lab.json").write_text(json.dumps(lab.to_json(), indent=2))
        return lab

    @classmethod
    def load(cls, lab_id: str) -> Lab:
        if not labels.is_lab_id(lab_id):     # never a path: '../x' must not reach the disk
            raise LabError(f"{lab_id!r} is not a lab id (8 hex digits, see `chaos lab status`)")
        path = state_root() / lab_id / "lab.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise LabError(f"no lab {lab_id!r} known here ({path}: {exc})") from exc
        try:
            return cls(id=data["id"], spec=spec_from_json(data["spec"]),
                       owner_pid=data["owner_pid"])
        except (KeyError, TypeError) as exc:   # hand-edited or written by another version
            raise UsageError(f"{path}: not a lab state file this chaos can read "
                             f"(bad or missing {exc}); `chaos lab down {lab_id}` still "
                             "removes the lab's containers by label") from None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "project": self.project, "owner_pid": self.owner_pid,
                "spec": spec_to_json(self.spec)}

    @property
    def project(self) -> str:
        return f"chaos-{self.id}"

    @property
    def state_dir(self) -> Path:
        return state_root() / self.id

    @property
    def compose(self) -> Compose:
        return Compose(self.project,
                       [Path(self.spec.compose_file), self.state_dir / "override.yml"])

    def up(self, timeout: float = 180, log: Callable[[str], object] = print) -> float:
        """Build the services the compose file builds, start the lab and wait for
        health; returns the seconds it took."""
        t0 = time.monotonic()
        built = built_services(self.compose_doc())
        if built:
            log(f"lab {self.id}: building {', '.join(built)} (Docker reuses cached layers)")
            self.compose.build(built, log)
        self.compose.up()
        for feature in self.spec.features:
            feature.started(self)
        wait_healthy(self.id, timeout=timeout)
        for feature in self.spec.features:
            feature.ready(self)
        return time.monotonic() - t0

    def down(self) -> list[str]:
        """Remove everything labelled with this lab's id; safe to call twice. Returns
        notes for the user: recorded load processes left alone, and why."""
        errors: list[str] = []
        notes = stop_orphan_load(self.state_dir, self.id)
        if (self.state_dir / "override.yml").exists():
            try:
                self.compose.down()
            except LabError as exc:
                errors.append(str(exc))
        sweep(self.id)
        for f in ("override.yml", "lab.json", LOAD_PROCS, OLD_LOAD_PIDS):
            (self.state_dir / f).unlink(missing_ok=True)
        for feature in self.spec.features:
            feature.down(self)
        try:
            self.state_dir.rmdir()
        except OSError:
            pass  # other files (backups, marks) may live there; leave them
        if errors and list_resources(self.id):
            raise LabError("; ".join(errors + notes))
        return notes

    def between_trials(self) -> list[str]:
        """Before trial 2, 3...: each feature puts its part of the lab back; lines for
        the log."""
        return [note for f in self.spec.features if (note := f.between_trials(self))]

    def record_load(self, pids: list[int]) -> None:
        """Remember the load processes of this lab (see chaos/lab/loadprocs.py)."""
        record_load_pids(self.state_dir, self.id, pids)

    # ---- addresses --------------------------------------------------------

    def container(self, service: str) -> Container:
        found = client().containers.list(
            all=True,
            filters={"label": [f"{labels.LAB}={self.id}", f"com.docker.compose.service={service}"]},
        )
        if not found:
            raise LabError(f"lab {self.id}: no container for service {service!r}")
        return found[0]

    def published(self, service: str, port: int) -> tuple[str, int]:
        c = self.container(service)
        c.reload()
        bindings = (c.attrs["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp") or []
        if not bindings:
            raise LabError(f"lab {self.id}: {service} publishes no port {port}")
        b = bindings[0]
        return (b["HostIp"] or "127.0.0.1"), int(b["HostPort"])

    @property
    def app_url(self) -> str:
        host, port = self.published(self.spec.app_service, self.spec.app_port)
        return f"http://{host}:{port}"

    @property
    def db_dsn(self) -> str:
        host, port = self.published(self.primary or self.spec.db_service, self.spec.db_port)
        s = self.spec
        return f"postgresql://{s.db_user}:{s.db_password}@{host}:{port}/{s.db_name}"

    # ---- internals --------------------------------------------------------

    def compose_doc(self) -> dict[str, Any]:
        try:
            doc = yaml.safe_load(Path(self.spec.compose_file).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise LabError(f"{self.spec.compose_file}: cannot read compose file: {exc}") from exc
        if not isinstance(doc, dict):
            raise LabError(f"{self.spec.compose_file}: not a compose file (no mapping)")
        return doc

    def _write_override(self) -> None:
        base = self.compose_doc()
        tags = labels.lab_labels(self.id, self.owner_pid)
        override: dict[str, Any] = {"services": {}, "networks": {"default": {"labels": tags}},
                                    "volumes": {}}
        if "version" in base:
            override["version"] = base["version"]
        for name, svc in (base.get("services") or {}).items():
            override["services"][name] = {"labels": tags}
            if isinstance(svc, dict) and "build" in svc and "image" not in svc:
                # One name for every lab of this compose file, so the build is reused
                # (compose would name it after the per-run project and rebuild each run).
                override["services"][name]["image"] = build_image_name(self.spec.compose_file, name)
        for name, net in (base.get("networks") or {}).items():
            if not (net or {}).get("external"):
                override["networks"][name] = {"labels": tags}
        for name, vol in (base.get("volumes") or {}).items():
            if not (vol or {}).get("external"):
                override["volumes"][name] = {"labels": tags}
        if not override["volumes"]:
            del override["volumes"]
        doc = OverrideDoc(override, base, self.spec, tags, self.state_dir)
        for feature in self.spec.features:
            feature.override(doc)
        if self.spec.db_env:
            db = override["services"].setdefault(self.spec.db_service, {"labels": tags})
            # "$" escaped: compose would interpolate it in the override file.
            db["environment"] = {k: v.replace("$", "$$") for k, v in self.spec.db_env.items()}
        (self.state_dir / "override.yml").write_text(yaml.safe_dump(override, sort_keys=False))
