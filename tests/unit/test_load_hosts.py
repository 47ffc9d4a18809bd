"""Load hosts: the clock arithmetic, what the stream's event lines make of them, the
scenario's ``load.remote`` section, and `chaos worker`'s command line (pure logic; the
real channel is tested in tests/integration/test_remote_worker.py and
tests/e2e/test_remote_load.py)."""

from __future__ import annotations

import pytest
import yaml

from chaos.cli.worker_command import worker_argv
from chaos.errors import UsageError
from chaos.load.hosts import ACCURACY_GOAL_S, LoadHosts
from chaos.load.proc.clocksync import ClockEstimate, Sample
from chaos.scenario import load_scenario
from chaos.trial.loop import remote_load
from tests.unit.test_load_schema import problems, write


def load_body(extra: dict) -> str:
    return yaml.safe_dump({"load": {"users": 2, "requests": [{"path": "/"}], **extra}})


def scenario_with_load(tmp_path, extra: dict):
    return load_scenario(write(tmp_path, load_body(extra)))


def load_problems(tmp_path, extra: dict) -> list[str]:
    return problems(write(tmp_path, load_body(extra)))


def test_sample_recovers_a_known_offset_on_an_asymmetric_path():
    # The worker is 2 s ahead; the ping takes 10 ms out, the pong 30 ms back.
    t1 = 100.0
    t2 = t1 + 0.010 + 2.0
    t3 = t2 + 0.001
    t4 = (t3 - 2.0) + 0.030
    s = Sample.of(t1, t2, t3, t4)
    assert s.delay == pytest.approx(0.040)
    assert s.offset == pytest.approx(2.0 - 0.010)     # off by half the asymmetry
    assert abs(s.offset - 2.0) <= s.uncertainty        # the truth is within ± delay/2


def test_the_estimate_keeps_the_minimum_delay_sample_of_the_last_eight():
    est = ClockEstimate()
    assert est.best() is None and est.to_master(5.0) == 5.0
    est.add(0.0, 1.5, 1.5, 0.2)           # delay 0.2, offset 1.4
    est.add(1.0, 3.001, 3.001, 1.002)     # delay 0.002, offset 2.0
    for k in range(7):                    # seven noisier ones push nothing out yet
        est.add(2.0 + k, 4.0 + k + 0.05, 4.0 + k + 0.05, 2.0 + k + 0.1)
    assert est.best().offset == pytest.approx(2.0)
    assert est.to_master(10.0) == pytest.approx(8.0)
    est.add(20.0, 22.05, 22.05, 20.1)     # the good one is now nine samples old: dropped
    assert est.best().delay == pytest.approx(0.1)
    assert est.count == 10


def ev(kind: str, **fields):
    return {"ev": kind, "at": 1000.0, **fields}


def test_hosts_from_the_stream_name_the_lost_and_the_missing():
    hosts = LoadHosts()
    hosts.apply(ev("host", w="gen-a", addr="10.0.0.2", locust="2.47.0", pid=7, offset=0.001,
                   unc=0.0004, at=1000.0))
    hosts.apply(ev("host", w="gen-b", addr="10.0.0.3", locust="2.47.0", pid=8, offset=2.0,
                   unc=0.3, at=1000.0))
    hosts.apply(ev("clock", w="gen-a", offset=0.002, unc=0.0003))
    hosts.apply(ev("lost", w="gen-b", last=1010.0, in_flight=3, unknown_writes=1,
                   received=200, flush_s=0.2))
    hosts.apply(ev("done", w="gen-a", sent=150, received=150, users=3, gaps=0))
    assert hosts.joined() == ["gen-a", "gen-b"]
    assert hosts.lost() == [("gen-b", 1010.0)]
    rec = {r.name: r.as_dict() for r in hosts.host_records(ACCURACY_GOAL_S)}
    assert rec["gen-a"]["offset_s"] == 0.002 and rec["gen-a"]["uncertain"] is False
    assert rec["gen-b"]["uncertain"] is True          # ±0.3 s > the 0.25 s goal
    assert rec["gen-b"]["unreported_estimate"] == 4   # 200 in 10 s, times 0.2 s
    assert rec["gen-b"]["in_flight_at_loss"] == 3 and rec["gen-b"]["sent"] is None
    assert [e["ev"] for e in hosts.take_events()] == ["host", "host", "clock", "lost", "done"]
    assert hosts.take_events() == []
    msg = hosts.missing_message(4, ["gen-a", "gen-b", "gen-c", "gen-d"], 60.0,
                                ("10.0.0.1", 5557))
    assert "2 of 4 load workers" in msg and "10.0.0.1:5557" in msg
    assert "missing: gen-c, gen-d" in msg and "gen-a (10.0.0.2)" in msg
    unnamed = LoadHosts().missing_message(3, [], 5.0, None, master_gone=True)
    assert "0 of 3" in unnamed and "3 unnamed" in unnamed and "master exited" in unnamed


def test_a_host_record_writes_every_field_and_what_was_never_said_stays_none():
    from chaos.record import LoadHostRecord

    hosts = LoadHosts()
    hosts.apply(ev("host", w="quiet", addr="10.0.0.4", offset=0.01, at=1000.0))
    hosts.apply(ev("clock", w="quiet", offset=0.02, unc=0.001))
    (rec,) = hosts.host_records(ACCURACY_GOAL_S)
    assert list(rec.as_dict()) == list(LoadHostRecord.model_fields)   # every key, in order
    assert (rec.offset_s, rec.offset_uncertainty_s, rec.uncertain) == (0.02, 0.001, False)
    assert (rec.joined, rec.lost, rec.lost_at) == (True, False, None)
    assert (rec.sent, rec.received, rec.users, rec.unreported_estimate) == (None,) * 4
    assert hosts.by_name["quiet"].clock_updates == 1
    unjoined = LoadHosts()
    unjoined.apply(ev("clock", w="ghost", offset=0.5))     # never said "host": not joined
    (ghost,) = unjoined.host_records(ACCURACY_GOAL_S)
    assert not ghost.joined and ghost.uncertain is None and ghost.hostname == ""


def test_remote_section_reads_into_the_runner_settings(tmp_path):
    sc = scenario_with_load(tmp_path, {"remote": {
        "master": "10.20.0.1:5557", "workers": ["a", "b"], "app_url": "http://app:8080",
        "join_timeout": "90s", "on_lost": "stop"}})
    r = remote_load(sc.load.remote)
    assert (r.bind, r.port, r.expect, r.expected, r.join_timeout, r.app_url) == (
        "10.20.0.1", 5557, ("a", "b"), 2, 90.0, "http://app:8080")
    counted = remote_load(scenario_with_load(tmp_path, {"remote": {"workers": 3}}).load.remote)
    assert (counted.bind, counted.port, counted.expected, counted.expect) == (
        "127.0.0.1", 0, 3, ())


@pytest.mark.parametrize(("remote", "says"), [
    ({"workers": 2, "master": "app:5557"}, "IP address"),
    ({"workers": 2, "master": "10.0.0.1:99999"}, "HOST:PORT"),
    ({"workers": 0}, "greater than or equal to 1"),
    ({"workers": ["a"], "on_lost": "pause"}, "'continue' or 'stop'"),
    ({"workers": ["a"], "app_url": "app:8080"}, "app_url"),
    ({"master": "127.0.0.1"}, "workers"),
])
def test_a_bad_remote_section_names_its_field(tmp_path, remote, says):
    problems = load_problems(tmp_path, {"remote": remote})
    assert any(says in p for p in problems), problems
    assert any("load.remote" in p for p in problems), problems


def test_local_and_remote_workers_are_one_or_the_other(tmp_path):
    problems = load_problems(tmp_path, {"workers": 2, "remote": {"workers": 2}})
    assert any("load.remote" in p and "either 'workers'" in p for p in problems), problems


def test_chaos_worker_builds_a_locust_worker_that_fetches_its_files():
    argv = worker_argv("10.20.0.1:5557")
    assert argv[1:] == ["-m", "locust", "-f", "-", "--worker", "--master-host", "10.20.0.1",
                        "--master-port", "5557"]
    for bad in ("10.20.0.1", ":5557", "host:0", "host:x"):
        with pytest.raises(UsageError, match="HOST:PORT"):
            worker_argv(bad)


# ---- provenance in a comparison -------------------------------------------------------

def record_with_hosts(*trials_hosts: list[tuple[str, str, int]]):
    from chaos.record import SCHEMA_VERSION, RunRecord

    trials = [{"trial": i + 1, "status": "completed",
               "load_hosts": [{"name": n, "locust": v, "users": u} for n, v, u in hosts]}
              for i, hosts in enumerate(trials_hosts)]
    return RunRecord.model_validate({"schema_version": SCHEMA_VERSION, "run_id": "r",
                                     "status": "completed", "scenario": {"name": "s"},
                                     "trials": trials})


def test_a_comparison_says_when_the_load_differed():
    from chaos.compare.loadmatch import load_note, load_shape

    three = [("a", "2.47.0", 20), ("b", "2.47.0", 20), ("c", "2.47.0", 20)]
    one = [("local", "2.47.0", 60)]
    base = record_with_hosts(three, three)
    assert load_shape(base) == "3 hosts, Locust 2.47.0, 60 users"
    assert load_note(base, record_with_hosts(three)) is None
    note = load_note(base, record_with_hosts(one))
    assert note == ("the load differed: base 3 hosts, Locust 2.47.0, 60 users; "
                    "candidate 1 host, Locust 2.47.0, 60 users")
    older = record_with_hosts([])            # a run from before hosts were recorded
    assert load_note(older, older) is None
    assert "one side only" in load_note(older, base)
    mixed = record_with_hosts(three, [("a", "2.46.0", 30)])
    assert load_shape(mixed) == ("3 hosts, Locust 2.47.0, 60 users; "
                                 "1 host, Locust 2.46.0, 30 users")


# ---- what the trial does with them ------------------------------------------------------

class _Timeline:
    def __init__(self):
        self.events = []

    def add(self, kind, t=None, **detail):
        self.events.append({"kind": str(kind), "t": t, **detail})


def trial_like(on_lost: str):
    from types import SimpleNamespace

    from chaos.measure.timeline import Clock

    aborted: list[str] = []
    hosts = LoadHosts()
    fake = SimpleNamespace(
        load=SimpleNamespace(hosts=hosts),
        ctx=SimpleNamespace(clock=Clock(mono0=0.0, wall0=1000.0), timeline=_Timeline()),
        sc=SimpleNamespace(load=SimpleNamespace(remote=SimpleNamespace(on_lost=on_lost))),
        abort=aborted.append)
    return fake, hosts, aborted


@pytest.mark.parametrize("on_lost", ["continue", "stop"])
def test_a_lost_host_is_on_the_timeline_and_stops_the_trial_only_when_asked(on_lost):
    from chaos.trial.loop import Trial

    fake, hosts, aborted = trial_like(on_lost)
    hosts.apply(ev("host", w="local", addr="127.0.0.1", offset=0.0, unc=0.0))
    hosts.apply(ev("host", w="gen-a", addr="10.0.0.2", offset=2.0, unc=0.001))
    hosts.apply(ev("lost", w="gen-a", last=1012.5, in_flight=2, unknown_writes=1,
                   received=10, flush_s=0.2))
    Trial._host_events(fake)
    kinds = [(e["kind"], e.get("host")) for e in fake.ctx.timeline.events]
    assert kinds == [("load_host_joined", "gen-a"), ("load_host_lost", "gen-a")]  # not local
    lost = fake.ctx.timeline.events[1]
    assert lost["t"] == pytest.approx(12.5) and lost["last_t"] == pytest.approx(12.5)
    assert (lost["in_flight"], lost["unknown_writes"]) == (2, 1)
    assert aborted == (["load host gen-a lost"] if on_lost == "stop" else [])
    Trial._host_events(fake)                        # each event once
    assert len(fake.ctx.timeline.events) == 2


# ---- Locust's own settings stay out of chaos's Locust -----------------------------------

def test_locust_settings_of_the_shell_are_not_passed_and_config_files_are_named(
        tmp_path, monkeypatch):
    from chaos.load.runner import LoadRunner, LoadSettings, stray_locust_config

    monkeypatch.setenv("LOCUST_PROCESSES", "4")
    monkeypatch.setenv("LOCUST_RESET_STATS", "true")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    env = LoadRunner("http://127.0.0.1:1", LoadSettings(), tmp_path / "w")._env("gen-a")
    assert not [k for k in env if k.startswith("LOCUST_")]
    assert env["CHAOS_WORKER_NAME"] == "gen-a" and env["CHAOS_OBS_FILE"].endswith(
        "observations.jsonl")

    here = tmp_path / "here"
    here.mkdir()
    assert stray_locust_config(here) == []
    (here / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert stray_locust_config(here) == []               # a pyproject without Locust's table
    (here / "pyproject.toml").write_text("[tool.locust]\nprocesses = 4\n")
    (here / "locust.conf").write_text("processes = 4\n")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".locust.conf").write_text("users = 1\n")
    found = stray_locust_config(here)
    assert found == [str(tmp_path / "home" / ".locust.conf"), str(here / "locust.conf"),
                     f"{here / 'pyproject.toml'} [tool.locust]"]
