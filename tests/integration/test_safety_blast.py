"""Blast radius and security on the real engine, in one short hostile run.

Beside the lab stand decoys: a running and a paused container, a network and a
volume, none labelled ``chaos.lab``. The scenario's strings (name, description,
detector names, an HTTP path, SQL, invariant names, a script's file name, the
run label) carry shell metacharacters that would create a canary file if any
reached a shell; its database password is a distinctive string. Afterwards:
the canary does not exist, the password appears in no output file and nowhere
in stdout/stderr, every published port was bound to 127.0.0.1, and
`chaos lab down ID`, `chaos lab down --stale` and the fault run itself left
every decoy as it was.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chaos.lab.engine import client
from chaos.lab.lab import state_root
from chaos.lab.resources import list_resources
from tests import shop

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
CHAOS = [sys.executable, "-m", "chaos"]
PASSWORD = f"Zebra-{secrets.token_hex(6)}-Pw"


def chaos(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*CHAOS, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO)


@pytest.fixture
def decoys(lab_images):
    c = client()
    tag = {"purpose": "decoy", "chaos.labx": "1", "note": "chaos.lab"}
    made = {
        "running": c.containers.run("chaos/db:latest", ["sleep", "600"], entrypoint=[], detach=True,
                                    labels=tag),
        "paused": c.containers.run("chaos/db:latest", ["sleep", "600"], entrypoint=[], detach=True,
                                   labels=tag),
        "network": c.networks.create(f"decoy-{secrets.token_hex(3)}", labels=tag),
        "volume": c.volumes.create(f"decoy-{secrets.token_hex(3)}", labels=tag),
    }
    made["paused"].pause()
    try:
        yield made
    finally:
        for key in ("running", "paused"):
            try:
                made[key].remove(force=True)
            except Exception:
                pass
        for key in ("network", "volume"):
            try:
                made[key].remove()
            except Exception:
                pass


def assert_untouched(decoys) -> None:
    c = client()
    assert c.containers.get(decoys["running"].id).status == "running"
    assert c.containers.get(decoys["paused"].id).status == "paused"
    c.networks.get(decoys["network"].id)
    c.volumes.get(decoys["volume"].name)


def hostile_scenario(tmp: Path, canary: Path) -> Path:
    payloads = [f"$(touch {canary})", f"`touch {canary}`", f"; touch {canary}", f"| touch {canary}",
                f"&& touch {canary} #", f"'; touch {canary}; '", f"\"; touch {canary}; \""]
    bad = " ".join(payloads)
    src = (REPO / "compose" / "docker-compose.yml").read_text()
    compose = tmp / "docker-compose.yml"
    compose.write_text(src.replace("POSTGRES_PASSWORD: chaos", f"POSTGRES_PASSWORD: {PASSWORD}")
                       .replace("postgresql://chaos:chaos@", f"postgresql://chaos:{PASSWORD}@")
                       .replace("./db/init", str(REPO / "compose" / "db" / "init")))
    script = tmp / "fix;$(touch pwned)`touch pwned`.sql"
    script.write_text(f"SELECT '{bad.replace(chr(39), chr(39) * 2)}';\n")
    doc = {
        "name": f"hostile {payloads[0]}",
        "description": bad,
        "lab": {"compose": str(compose), "db_password": PASSWORD, "health_path": "/health"},
        "load": shop.load(3),
        "faults": [{"type": "pause", "target": "db", "at": "4s", "duration": "6s"}],
        "detect": [
            {"name": f"errors {payloads[1]}", "type": "error_rate", "window": "3s", "above": "5%"},
            {"name": f"health {payloads[2]}", "type": "http",
             "path": f"/health?x=$(touch%20{canary})"},
            {"name": f"sql {payloads[3]}", "type": "sql", "every": "2s",
             "query": f"SELECT length('{bad.replace(chr(39), chr(39) * 2)}') > 0", "expect": True},
        ],
        "recovery": {"trigger": "at", "at": "6s",
                     "steps": [{"run_sql": script.name}, {"wait": "1s"}]},
        "steady_state": {"error_rate": {"below": "1%", "for": "2s"}},
        "invariants": [{"name": f"inv {payloads[4]}",
                        "query": f"SELECT '{payloads[5].replace(chr(39), chr(39) * 2)}' "
                                 "IS NOT NULL",
                        "expect": True}],
        "time_limit": "40s",
    }
    path = tmp / "hostile.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


def test_hostile_run_touches_nothing_leaks_no_password_and_binds_loopback(tmp_path, decoys):
    canary = Path(f"/tmp/pwned-{secrets.token_hex(4)}")
    scenario = hostile_scenario(tmp_path, canary)
    out = tmp_path / "run"

    validate = chaos("validate", str(scenario))
    assert validate.returncode == 0, validate.stderr
    run = chaos("run", str(scenario), "--out", str(out), "--keep-lab",
                "--label", f"$(touch {canary})`touch {canary}`")
    output = run.stdout + run.stderr
    result = json.loads((out / "result.json").read_text())
    lab_id = result["lab"]["id"]
    try:
        assert run.returncode in (0, 1), output[-3000:]
        assert result["status"] == "completed"
        kinds = {e["kind"] for e in result["trials"][0]["events"]}
        assert {"fault_applied", "fault_reverted", "step_done"} <= kinds, kinds
        # every published port of the lab on loopback only
        containers = list_resources(lab_id)["containers"]
        assert len(containers) >= 2
        for ctr in containers:
            ctr.reload()
            ports = ctr.attrs["NetworkSettings"]["Ports"] or {}
            binds = [b for bs in ports.values() for b in bs or []]
            assert binds and all(b["HostIp"] == "127.0.0.1" for b in binds), (ctr.name, binds)
        assert_untouched(decoys)                     # the fault run (a pause) hit only the lab
    finally:
        down = chaos("lab", "down", lab_id)
    assert down.returncode == 0, down.stderr
    assert_untouched(decoys)
    stale = chaos("lab", "down", "--stale")
    assert stale.returncode == 0, stale.stderr
    assert_untouched(decoys)

    assert not canary.exists()
    assert not (REPO / "pwned").exists() and not (tmp_path / "pwned").exists()
    assert PASSWORD not in output + validate.stdout + validate.stderr + down.stdout + stale.stdout
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"result.json", "timeline.jsonl", "postmortem.md"} <= {p.name for p in files}
    leaked = [str(p) for p in files if PASSWORD.encode() in p.read_bytes()]
    assert leaked == []
    assert not (state_root() / lab_id).exists()     # lab state (it holds the password) is gone
