"""Point-in-time recovery without Docker: targets, settings, the override, the schema."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml

from chaos import sample
from chaos.errors import LabError
from chaos.lab.features.walarchiving import WalArchive, WalArchiveSection
from chaos.lab.lab import Lab, LabSpec
from chaos.lab.labspec import lab_spec
from chaos.lab.postgres.pitrrestore import recovery_conf
from chaos.lab.postgres.walarchive import ARCHIVE_COMMAND, PITR_MOUNT, db_command
from chaos.recover.pitr import RestorePitrParams, lsn_diff, newest_base_backup, target_settings
from chaos.scenario import Scenario


def scenario(lab: dict[str, object] | None = None, step: object = "before_fault") -> Scenario:
    return Scenario.model_validate({
        "name": "pitr", "lab": sample.lab(**(lab or {})), "load": sample.load(1),
        "faults": [{"type": "kill", "target": "db", "at": "1s"}],
        "recovery": {"trigger": "at", "at": "2s", "steps": [{"restore_pitr": step}]},
    })


@pytest.mark.parametrize(("given", "kept"), [
    ("before_fault", "before_fault"), ("latest", "latest"),
    ("10s before fault", "10s before fault"), ("1m30s  before   fault", "1m30s before fault"),
])
def test_targets(given, kept):
    assert RestorePitrParams(target=given).target == kept


@pytest.mark.parametrize("bad", ["yesterday", "10s after fault", "0s before fault", "before"])
def test_bad_targets_are_refused(bad):
    with pytest.raises(ValueError, match="target"):
        RestorePitrParams(target=bad)


def test_restore_pitr_needs_wal_archiving_in_the_lab():
    with pytest.raises(ValueError, match="wal_archive: true"):
        scenario()
    sc = scenario({"wal_archive": True})
    wal = sc.lab.option(WalArchiveSection)
    assert wal is not None and wal.timeout_s == 1 and sc.lab.options == {"wal_archive": wal}
    assert lab_spec(sc).feature(WalArchive) == WalArchive(timeout_s=1)


def test_archive_timeout_is_whole_seconds_at_least_one():
    sc = scenario({"wal_archive": {"archive_timeout": "1500ms"}})
    assert lab_spec(sc).feature(WalArchive) == WalArchive(timeout_s=2)
    with pytest.raises(ValueError, match="archive_tiemout"):
        scenario({"wal_archive": {"archive_tiemout": "1s"}})


def test_db_env_reaches_the_spec_as_strings_and_names_are_checked():
    assert lab_spec(scenario({"wal_archive": True, "db_env": {"SEED_ROWS": 1000000}})
                    ).db_env == {"SEED_ROWS": "1000000"}
    with pytest.raises(ValueError, match="db_env"):
        scenario({"wal_archive": True, "db_env": {"BAD NAME": 1}})


def test_lsn_target_from_the_fault_exclusive():
    events = [{"kind": "fault_applied", "t": 10.3, "wal_lsn_before": "0/B000BF8"}]
    settings, detail = target_settings("before_fault", events, 10.0, lambda t: f"@{t}")
    assert settings["recovery_target_lsn"] == "0/B000BF8"
    assert settings["recovery_target_inclusive"] == "off"
    assert settings["recovery_target_action"] == "promote"
    assert "recovery_target_time" not in settings and detail["target_lsn"] == "0/B000BF8"


def test_a_fault_without_a_wal_position_falls_back_to_its_instant():
    settings, detail = target_settings("before_fault", [{"kind": "fault_applied", "t": 3}], 10.0,
                                       lambda t: f"@{t}")
    assert settings["recovery_target_time"] == "@10.0" and "recovery_target_lsn" not in settings


def test_time_and_latest_targets():
    settings, _ = target_settings("10s before fault", [], 42.0, lambda t: f"@{t}")
    assert settings["recovery_target_time"] == "@32.0"
    settings, detail = target_settings("latest", [], 42.0, lambda t: f"@{t}")
    assert not any(k.startswith("recovery_target_") and k != "recovery_target_action"
                   for k in settings) and detail == {"target": "latest"}


def test_the_base_backup_must_be_done_before_the_fault():
    events = [{"kind": "base_backup_taken", "t": 1.0, "n": 1},
              {"kind": "base_backup_taken", "t": 12.0, "n": 2}]
    assert newest_base_backup(events, 10.0) == events[0]
    assert newest_base_backup(events, 0.5) is None


def test_lsn_diff():
    assert lsn_diff("0/C006E40", "0/2000028") == 0xC006E40 - 0x2000028
    assert lsn_diff("1/0", "0/FFFFFFFF") == 1
    assert lsn_diff("0/1", "0/2") == 0


def test_recovery_conf_quotes():
    assert recovery_conf({"a": "it's"}) == "a = 'it''s'\n"


def test_db_command():
    assert db_command({}, "db") == ["postgres"]
    assert db_command({"command": "postgres -c max_connections=50"}, "db")[-1] == \
        "max_connections=50"
    assert db_command({"command": ["-c", "fsync=off"]}, "db") == ["-c", "fsync=off"]
    with pytest.raises(LabError, match="does not start postgres"):
        db_command({"command": ["sh", "-c", "run-db"]}, "db")


def test_override_archives_into_a_labelled_volume(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    spec = LabSpec(features=(WalArchive(timeout_s=1),), db_env={"SEED_ROWS": "5$"})
    lab = Lab.create(spec, owner_pid=1)
    doc = yaml.safe_load((lab.state_dir / "override.yml").read_text())
    db = doc["services"]["db"]
    assert db["command"][0] == "postgres" and "archive_mode=on" in db["command"]
    assert f"archive_command={ARCHIVE_COMMAND}" in db["command"] and "$" not in ARCHIVE_COMMAND
    assert f"chaos-pitr:{PITR_MOUNT}" in db["volumes"]
    assert doc["volumes"]["chaos-pitr"]["labels"]["chaos.lab"] == lab.id
    assert db["environment"] == {"SEED_ROWS": "5$$"}   # compose would interpolate "$"
    plain = Lab.create(LabSpec(), owner_pid=1)
    plain_db = yaml.safe_load((plain.state_dir / "override.yml").read_text())["services"]["db"]
    assert "command" not in plain_db and "environment" not in plain_db


def test_describe_names_target_and_sizes():
    from chaos.recover.pitr import RestorePitr

    line = RestorePitr.describe({"target": "before_fault", "target_lsn": "0/B0",
                                 "restored_bytes": 2**20, "replayed_bytes": 3 * 2**20})
    assert line is not None and "1.0 MiB" in line and "3.0 MiB" in line and "0/B0" in line
    assert RestorePitr.describe(SimpleNamespace().__dict__) is None


def test_a_time_target_before_the_base_backup_is_refused():
    from chaos.recover.pitr import before_base_backup

    base = {"t": 5.0}
    assert before_base_backup("before_fault", 20.0, base) is None
    assert before_base_backup("latest", 20.0, base) is None
    assert before_base_backup("10s before fault", 20.0, base) is None
    assert "before the end of the only base backup" in before_base_backup(
        "16s before fault", 20.0, base)


def test_a_dump_still_running_at_the_fault_is_restored_once_it_has_finished():
    from chaos.recover.backups import Backup, BackupStore

    store = BackupStore.__new__(BackupStore)
    store.taken = [Backup(1, "/b1", 0.02, 11.2), Backup(2, "/b2", 30.09, 42.09),
                   Backup(3, "/b3", 39.5, 51.0)]
    assert store.newest_before(40.04).number == 2    # snapshot at 30 s, finished after 40 s
    assert store.newest_before(30.5).number == 1     # b2 may have seen the fault: too close
    assert store.newest_before(0.5) is None
    assert store.newest_before(None).number == 3
