"""Lab ids are checked before they select anything (issue: an empty id read as "every lab")."""

from __future__ import annotations

import pytest

from chaos.errors import LabError
from chaos.lab import labels
from chaos.lab.lab import Lab
from chaos.lab.resources import list_resources
from tests.cli_helpers import run_main


@pytest.mark.parametrize("text, ok", [
    ("0123abcd", True), ("deadbeef", True), ("", False), ("DEADBEEF", False),
    ("0123abc", False), ("0123abcde", False), ("../x", False), ("some/dir", False),
    ("0123abcd\n", False), (None, False), (12345678, False),
])
def test_the_shape_of_a_lab_id(text, ok):
    assert labels.is_lab_id(text) is ok


@pytest.mark.parametrize("bad", ["", "SOME/DIR", "../../etc", "0123abc", " 0123abcd"])
def test_lab_down_refuses_a_malformed_id_before_asking_the_engine(bad, monkeypatch):
    import chaos.cli.lab_commands as cmds

    def engine(*a, **kw):
        raise AssertionError("the engine was asked")

    monkeypatch.setattr(cmds, "running_labs", engine)
    monkeypatch.setattr(cmds.Lab, "down", engine)
    code, out = run_main(["lab", "down", bad])
    assert code == 2, out
    assert "not a lab id" in out and "nothing was taken down" in out


def test_an_empty_id_never_lists_every_lab():
    with pytest.raises(LabError, match="empty lab id"):
        list_resources("")


def test_a_path_is_never_read_as_a_lab_id(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "lab.json").write_text("{}")
    with pytest.raises(LabError, match="not a lab id"):
        Lab.load("../../x")


@pytest.mark.parametrize("state", ['{"spec": {}, "owner_pid": 0}', '{"id": "0123abcd"}',
                                   '{"id": "0123abcd", "spec": {"nope": 1}, "owner_pid": 0}',
                                   '[1, 2]'])
def test_a_damaged_lab_state_file_is_bad_input_naming_it(tmp_path, monkeypatch, state):
    from chaos.errors import UsageError

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    d = tmp_path / "chaos" / "labs" / "0123abcd"
    d.mkdir(parents=True)
    (d / "lab.json").write_text(state)
    with pytest.raises(UsageError, match=r"lab\.json: not a lab state file"):
        Lab.load("0123abcd")
