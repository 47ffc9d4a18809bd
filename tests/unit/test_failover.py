"""Replica and failover without Docker: the schema, the override, the lag samples, the story."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from chaos import sample
from chaos.errors import LabError
from chaos.lab.features.replication import Replica, ReplicaSection, lag_sample
from chaos.lab.lab import Lab, LabSpec
from chaos.lab.labspec import lab_spec
from chaos.lab.postgres.replica import CLONE_SCRIPT, REPLICA_VOLUME, STANDBY_NAME, replica_override
from chaos.recover.failover import Failover, FailoverParams, fault_lsn, lag_before
from chaos.scenario import Scenario


def scenario(lab: dict[str, object] | None = None) -> Scenario:
    return Scenario.model_validate({
        "name": "failover", "lab": sample.lab(**(lab or {})), "load": sample.load(1),
        "faults": [{"type": "kill", "target": "db", "at": "1s"}],
        "recovery": {"trigger": "at", "at": "2s", "steps": [{"failover": None}]},
    })


def test_failover_needs_a_replica_in_the_lab():
    with pytest.raises(ValueError, match="replica: true"):
        scenario()
    assert lab_spec(scenario({"replica": True})).feature(Replica) == Replica(synchronous=False)
    assert lab_spec(scenario({"replica": {"synchronous": True}})).feature(Replica) == Replica(True)
    assert lab_spec(scenario({"replica": {}})).feature(Replica) == Replica(False)
    with pytest.raises(ValueError, match="synchronus"):
        scenario({"replica": {"synchronus": True}})


def test_a_lab_without_replica_has_none():
    sc = Scenario.model_validate({
        "name": "plain", "lab": sample.lab(replica=False), "load": sample.load(1),
        "faults": [{"type": "kill", "target": "db", "at": "1s"}],
        "recovery": {"trigger": "at", "at": "2s", "steps": [{"restart": "db"}]}})
    assert sc.lab.option(ReplicaSection) is None and lab_spec(sc).feature(Replica) is None


def test_failover_params():
    assert FailoverParams().timeout == 60
    assert FailoverParams(timeout="5s").timeout == 5


def test_override_adds_a_labelled_replica_on_the_db_image(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    spec = LabSpec(features=(Replica(synchronous=True),), db_password="pa$s")
    lab = Lab.create(spec, owner_pid=1)
    doc = yaml.safe_load((lab.state_dir / "override.yml").read_text())
    base = yaml.safe_load(Path(lab.spec.compose_file).read_text())
    rep = doc["services"]["db-replica"]
    assert rep["image"] == base["services"]["db"]["image"]
    assert rep["labels"]["chaos.lab"] == lab.id
    assert doc["volumes"][REPLICA_VOLUME]["labels"]["chaos.lab"] == lab.id
    assert rep["volumes"] == [f"{REPLICA_VOLUME}:/var/lib/postgresql/data"]
    assert rep["ports"] == ["127.0.0.1::5432"]
    assert rep["environment"]["CHAOS_PRIMARY_HOST"] == "db"
    assert rep["environment"]["PGPASSWORD"] == "pa$$s"   # compose would interpolate "$"
    assert rep["environment"]["POSTGRES_USER"] == "chaos"   # the db's own, carried over
    assert rep["entrypoint"][:2] == ["sh", "-c"] and rep["entrypoint"][-1] == "docker-entrypoint.sh"
    assert rep["entrypoint"][2] == CLONE_SCRIPT.replace("$", "$$")
    assert rep["command"] == ["postgres", "-c", f"cluster_name={STANDBY_NAME}"]
    assert "healthcheck" in rep and rep["depends_on"] == ["db"]
    # The primary itself is left as the user wrote it (sync is set by ALTER SYSTEM later).
    assert "command" not in doc["services"]["db"]
    plain = Lab.create(LabSpec(), owner_pid=1)
    assert "db-replica" not in yaml.safe_load((plain.state_dir / "override.yml").read_text())[
        "services"]


def test_the_clone_script_is_valid_shell():
    done = subprocess.run(["sh", "-n", "-c", CLONE_SCRIPT], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pg_basebackup" in CLONE_SCRIPT and " -R " in CLONE_SCRIPT
    assert 'exec "$@"' in CLONE_SCRIPT


def test_override_keeps_the_users_command_entrypoint_and_list_environment():
    spec = LabSpec(features=(Replica(),))
    base = {"services": {"db": {"image": "postgres:16", "entrypoint": "my-entry.sh",
                                "command": "postgres -c shared_buffers=64MB",
                                "environment": ["POSTGRES_PASSWORD=x", "PGDATA=/pg"],
                                "networks": ["back"]}}}
    override: dict = {"services": {"db": {"labels": {}}}}
    replica_override(override, base, spec, {"chaos.lab": "abcd1234"})
    rep = override["services"]["db-replica"]
    assert rep["image"] == "postgres:16" and rep["entrypoint"][-1] == "my-entry.sh"
    assert rep["command"][:3] == ["postgres", "-c", "shared_buffers=64MB"]
    assert rep["volumes"] == [f"{REPLICA_VOLUME}:/pg"] and rep["networks"] == ["back"]
    assert rep["environment"]["POSTGRES_PASSWORD"] == "x"


def test_override_refuses_a_db_without_an_image():
    with pytest.raises(LabError, match="no image"):
        replica_override({"services": {}}, {"services": {"db": {"build": "."}}},
                         LabSpec(features=(Replica(),)), {})
    with pytest.raises(LabError, match="no service"):
        replica_override({"services": {}}, {"services": {}}, LabSpec(features=(Replica(),)), {})


def test_lag_samples():
    assert lag_sample([]) == {"standbys": 0}
    assert lag_sample([("sync", 120, 0.00123456)]) == {
        "standbys": 1, "sync_state": "sync", "lag_bytes": 120, "replay_lag_s": 0.0012}
    assert lag_sample([("async", None, None)])["lag_bytes"] is None


def test_lag_before_the_fault_and_the_fault_position():
    events = [{"kind": "replication_lag", "t": 1.0, "standbys": 1, "lag_bytes": 10,
               "replay_lag_s": 0.01, "sync_state": "async"},
              {"kind": "replication_lag", "t": 2.0, "error": "refused"},
              {"kind": "replication_lag", "t": 3.0, "standbys": 1, "lag_bytes": 99},
              {"kind": "fault_applied", "t": 2.5, "wal_lsn_before": "0/300"}]
    assert lag_before(events, 2.5)["lag_bytes_before_fault"] == 10
    assert lag_before(events, 0.5) == {}
    assert fault_lsn(events) == "0/300" and fault_lsn(events[:3]) is None


def test_describe_and_lessons_say_the_replica_replayed_the_fault():
    event = {"promoted_lsn": "0/500", "replayed_lsn": "0/4F0", "sync_state": "async",
             "lag_bytes_before_fault": 0, "fault_lsn": "0/300", "replayed_past_fault": True}
    line = Failover.describe(event)
    assert line is not None and "replayed the fault" in line and "0/300" in line
    assert [k for k, _ in Failover.lessons(event)] == ["replica-replays-faults"]
    clean = {**event, "replayed_past_fault": False}
    assert "replayed the fault" not in (Failover.describe(clean) or "")
    assert Failover.lessons(clean) == [] and Failover.describe({}) is None
