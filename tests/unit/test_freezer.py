"""Unpausing through a hung engine (chaos/lab/freezer.py), on a fake cgroup tree.

The real engine and kernel freezer are exercised in
tests/integration/test_lab.py::test_a_container_frozen_behind_the_engines_back_is_thawed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docker.errors import APIError

from chaos.errors import LabError
from chaos.lab import freezer

CID = "ab" * 32


def tree(tmp_path: Path, v1: bool) -> Path:
    d = (tmp_path / "freezer" / "docker" / CID) if v1 else (tmp_path / "docker" / CID)
    d.mkdir(parents=True)
    f = d / ("freezer.state" if v1 else "cgroup.freeze")
    f.write_text("FROZEN" if v1 else "1")
    return f


@pytest.mark.parametrize("v1", [True, False])
def test_finds_and_writes_the_freezer_of_either_cgroup_version(tmp_path, v1):
    f = tree(tmp_path, v1)
    assert freezer.freezer_file(CID, tmp_path)[0] == f
    assert freezer.set_frozen(CID, False, tmp_path)
    assert f.read_text() == ("THAWED" if v1 else "0")
    assert freezer.freezer_file("cd" * 32, tmp_path) is None
    assert not freezer.set_frozen("cd" * 32, False, tmp_path)


def test_a_hung_unpause_thaws_then_realigns_the_engine(tmp_path, monkeypatch):
    f = tree(tmp_path, v1=True)
    assert f.read_text() == "FROZEN"
    writes, answers = [], iter([False, True])     # the engine hangs once, then answers
    monkeypatch.setattr(freezer, "CGROUP", tmp_path)
    monkeypatch.setattr(freezer, "_unpause_once", lambda cid: next(answers))
    real = freezer.set_frozen

    def recorded(cid: str, frozen: bool, root: Path = tmp_path) -> bool:
        writes.append(frozen)
        return real(cid, frozen, root)

    monkeypatch.setattr(freezer, "set_frozen", recorded)
    monkeypatch.setattr(freezer.time, "sleep", lambda s: None)
    detail = freezer.unpause(CID)
    assert writes == [False, True]              # thawed, then frozen again for the engine
    assert detail["engine_hung"] is True and detail["thawed_by"] == "cgroup freezer"
    assert "engine_state" not in detail


def test_never_left_frozen_when_the_engine_hangs_twice(tmp_path, monkeypatch):
    f = tree(tmp_path, v1=True)
    monkeypatch.setattr(freezer, "CGROUP", tmp_path)
    monkeypatch.setattr(freezer, "_unpause_once", lambda cid: False)
    monkeypatch.setattr(freezer.time, "sleep", lambda s: None)
    detail = freezer.unpause(CID)
    assert f.read_text() == "THAWED"
    assert detail["engine_state"] == "still says paused"


def test_no_freezer_reachable_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(freezer, "CGROUP", tmp_path)
    monkeypatch.setattr(freezer, "_unpause_once", lambda cid: False)
    with pytest.raises(LabError, match="moby/moby#36661.*by hand"):
        freezer.unpause(CID)


class _Freezes:
    """A container whose first ``fails`` pauses end as runc's "unable to freeze"."""

    def __init__(self, fails: int, message: str = "OCI runtime pause failed: unable to freeze: "
                                                  "unknown") -> None:
        self.fails, self.message, self.calls = fails, message, 0

    def pause(self) -> None:
        self.calls += 1
        if self.calls <= self.fails:
            raise APIError(self.message)


def test_pause_tries_again_when_runc_could_not_freeze(monkeypatch):
    monkeypatch.setattr(freezer, "PAUSE_RETRY_S", 0)
    box = _Freezes(fails=2)
    assert freezer.pause(box) == {"pause_attempts": 3} and box.calls == 3
    assert freezer.pause(_Freezes(fails=0)) == {}


def test_pause_gives_up_after_its_attempts_and_on_other_errors(monkeypatch):
    monkeypatch.setattr(freezer, "PAUSE_RETRY_S", 0)
    stuck = _Freezes(fails=10)
    with pytest.raises(APIError, match="unable to freeze"):
        freezer.pause(stuck)
    assert stuck.calls == freezer.PAUSE_ATTEMPTS
    other = _Freezes(fails=10, message="No such container")
    with pytest.raises(APIError, match="No such container"):
        freezer.pause(other)
    assert other.calls == 1
