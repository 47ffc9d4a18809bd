"""Blast radius: chaos refuses a Docker engine on another machine unless told otherwise."""

from __future__ import annotations

import pytest

from chaos import settings
from chaos.errors import UsageError
from chaos.lab import engine
from chaos.settings import Settings


@pytest.mark.parametrize("host", [
    "", "unix:///var/run/docker.sock", "unix:///run/user/1000/docker.sock",
    "npipe:////./pipe/docker_engine", "tcp://127.0.0.1:2375", "tcp://localhost:2376",
    "tcp://[::1]:2375", "tcp://127.0.0.53:2375", "127.0.0.1:2375",
])
def test_local_engines_are_used_without_asking(host):
    assert engine.remote_engine({"DOCKER_HOST": host}) is None
    engine.check_local({"DOCKER_HOST": host})


@pytest.mark.parametrize("env", [
    {"DOCKER_HOST": "tcp://10.1.2.3:2375"},
    {"DOCKER_HOST": "tcp://docker.example.com:2376"},
    {"DOCKER_HOST": "ssh://ops@build-box"},
    {"DOCKER_HOST": "tcp://0.0.0.0:2375"},
    {"DOCKER_HOST": "192.168.1.7:2375"},
    {"DOCKER_CONTEXT": "prod-cluster"},
])
def test_remote_engines_are_refused_unless_allowed(env):
    with pytest.raises(UsageError) as exc:
        engine.check_local(env)
    assert "--allow-remote" in str(exc.value) and exc.value.exit_code == 2
    engine.check_local(env, allow=True)
    with settings.override(**vars(Settings.from_env({engine.ALLOW_ENV: "1"}))):
        engine.check_local(env)


def test_client_refuses_before_connecting(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://203.0.113.9:2375")
    monkeypatch.setattr(engine.docker, "from_env", lambda **kw: pytest.fail("connected anyway"))
    engine.client.cache_clear()
    try:
        with settings.override(allow_remote=False), pytest.raises(UsageError):
            engine.client()
    finally:
        engine.client.cache_clear()


def test_allow_remote_flag_of_run_and_lab_up(monkeypatch):
    from click.testing import CliRunner

    from chaos import cli
    from chaos.cli import run_commands as commands

    monkeypatch.setenv("DOCKER_HOST", "tcp://203.0.113.9:2375")
    seen = []
    monkeypatch.setattr(commands, "run_cmd", lambda *a, **kw: seen.append(engine.remote_engine(
        {**__import__("os").environ})) or 0)
    with settings.override(allow_remote=False):
        result = CliRunner().invoke(cli.cli, ["run", "x.yaml"])
        assert result.exit_code == 0 and seen
        with pytest.raises(UsageError):
            engine.check_local()
        result = CliRunner().invoke(cli.cli, ["run", "--allow-remote", "x.yaml"])
        assert result.exit_code == 0
        engine.check_local()        # the flag allowed it, for the rest of this process
        assert "CHAOS_ALLOW_REMOTE" not in __import__("os").environ   # a setting, not the env


@pytest.mark.parametrize("host", ["tcp://[::1", "tcp://[zz]:2375", "http://[::1:99"])
def test_a_malformed_docker_host_is_bad_input(host):
    with pytest.raises(UsageError, match="DOCKER_HOST.*not a valid address"):
        engine.remote_engine({"DOCKER_HOST": host})
