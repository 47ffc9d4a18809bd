"""Drive load with Locust in a subprocess and follow its per-request stream.

    load = LoadRunner(url, LoadSettings(users=20, ...), workdir)
    load.start()
    for obs in load.poll():     # new observations since the last call
        ...
    load.stop()

The orchestrator never imports locust (it would monkey-patch this process with
gevent); it only reads the JSON lines the locustfile writes.

With ``workers=N`` Locust runs distributed on this host: one master (which sends no
requests) and N worker processes that connect to it on a free 127.0.0.1 port. With
``remote`` the master also (or only) waits for workers that people start on other
hosts (``chaos worker --master HOST:PORT``). Either way the workers send their requests
to the master over Locust's own connection and the master writes them, on this host's
clock, into the one file ``poll`` tails (``chaos/load/proc/obschannel.py``); event lines
in it say which load hosts joined, their clock offsets, and which were lost
(``hosts``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos.errors import LoadError
from chaos.load.hosts import LoadHosts
from chaos.measure.observation import OBS_FILE, Observation, parse_line

PROC = Path(__file__).with_name("proc")
#: Loaded after the locustfile, in this order: a worker that fetches its files from the
#: master (``-f -``) gets them all and imports them by their plain names.
CHANNEL = (PROC / "clocksync.py", PROC / "obschannel.py", PROC / "listener.py")
DECLARED = PROC / "declared.py"
TEMPLATE = Path(__file__).parents[1] / "scenario" / "template.py"
REQUESTS_FILE = "chaos_requests.py"
#: A worker's name in the record (``obschannel`` reads it; it runs without chaos).
WORKER_NAME_ENV = "CHAOS_WORKER_NAME"


@dataclass(frozen=True)
class RemoteLoad:
    """Workers started by people on other hosts, joining this run's Locust master."""

    bind: str = "127.0.0.1"     # the master's address; beyond loopback only when asked
    port: int = 0               # 0: a free port
    expect: tuple[str, ...] = ()    # the names they join with (CHAOS_WORKER_NAME), or
    count: int = 0                  # just how many
    join_timeout: float = 60.0
    app_url: str | None = None  # the app as the load hosts reach it; default the lab's

    @property
    def expected(self) -> int:
        return max(self.count, len(self.expect))


@dataclass(frozen=True)
class LoadSettings:
    locustfile: str | None = None       # the user's own locustfile; None: declared requests
    requests: tuple[dict[str, Any], ...] = ()     # declared requests, as the scenario wrote them
    users: int = 20
    spawn_rate: float = 20
    wait_min: float = 0.05              # declared requests only: a locustfile has its wait_time
    wait_max: float = 0.2
    request_timeout: float = 5.0
    run_time_s: float = 600     # hard bound: Locust stops itself even if we die
    workers: int = 0            # 0: one local Locust process; N: a master plus N workers
    stop_timeout: float = 2.0   # users finish the request in flight before stopping
    remote: RemoteLoad | None = None


class LoadRunner:
    def __init__(self, url: str, settings: LoadSettings, workdir: Path,
                 env: Mapping[str, str] | None = None) -> None:
        self.url = url
        self.settings = settings
        self.extra_env = dict(env or {})   # e.g. the lab's mark, which proves a pid ours
        self.obs_dir = workdir / "observations"
        self.obs_dir.mkdir(parents=True, exist_ok=True)
        self.obs_file = self.obs_dir / OBS_FILE
        self.hosts = LoadHosts()
        self.master: tuple[str, int] | None = None
        self._procs: list[subprocess.Popen[bytes]] = []
        self._offset = 0
        self._partial = ""
        self._early: list[Observation] = []

    def _env(self, worker: str | None = None) -> dict[str, str]:
        # Locust reads LOCUST_* as its options: one left in the shell (LOCUST_PROCESSES,
        # LOCUST_RESET_STATS...) would change the load behind the scenario's back.
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
        env.update(self.extra_env)
        env["CHAOS_OBS_FILE"] = str(self.obs_file)
        if worker is not None:
            env[WORKER_NAME_ENV] = worker
        return env

    def locustfiles(self) -> str:
        """Locust's ``-f``: the user's file (or ours for declared requests), then chaos's."""
        s = self.settings
        if s.locustfile is None:
            spec = {"requests": list(s.requests), "wait": [s.wait_min, s.wait_max],
                    "timeout": s.request_timeout}
            requests = self.obs_dir / REQUESTS_FILE
            requests.write_text(f"import json\n\nSPEC = json.loads({json.dumps(spec)!r})\n",
                                encoding="utf-8")
            files = [requests, TEMPLATE, DECLARED]
        else:
            files = [Path(s.locustfile)]
        return ",".join(str(f) for f in (*files, *CHANNEL))

    @property
    def master_address(self) -> str | None:
        return f"{self.master[0]}:{self.master[1]}" if self.master else None

    @property
    def distributed(self) -> bool:
        return bool(self.settings.workers or self.settings.remote)

    def start(self) -> None:
        s = self.settings
        remote = s.remote
        url = remote.app_url if remote and remote.app_url else self.url
        base = [sys.executable, "-m", "locust", "-f", self.locustfiles(), "--host", url,
                "--only-summary", "--loglevel", "WARNING", "--skip-log-setup"]
        headless = ["--headless", "-u", str(s.users), "-r", str(s.spawn_rate),
                    "-t", f"{int(s.run_time_s)}s", "--stop-timeout", f"{s.stop_timeout:g}"]
        if not self.distributed:
            self._spawn([*base, *headless], "locust.log")
            return
        bind = remote.bind if remote else "127.0.0.1"
        port = (remote.port if remote else 0) or free_port(bind)
        expect = s.workers + (remote.expected if remote else 0)
        wait = remote.join_timeout if remote else 60
        self.master = (bind, port)
        # --enable-rebalancing: a lost worker's users go to the others within seconds
        # (else Locust waits a minute), so the load keeps the scenario's user count.
        self._spawn([*base, *headless, "--master", "--master-bind-host", bind,
                     "--master-bind-port", str(port), "--expect-workers", str(expect),
                     "--expect-workers-max-wait", f"{int(wait) + 5}", "--enable-rebalancing"],
                    "locust-master.log")
        for i in range(s.workers):
            self._spawn([*base, "--worker", "--master-host", "127.0.0.1", "--master-port",
                         str(port)], f"locust-worker-{i + 1}.log", worker=f"local-{i + 1}")

    def expected_names(self) -> list[str]:
        s = self.settings
        return [f"local-{i + 1}" for i in range(s.workers)] + \
            list(s.remote.expect if s.remote else ())

    def wait_ready(self, timeout: float | None = None) -> float:
        """Block until every expected worker joined (and had its clock measured); the
        seconds it took. ``LoadError`` naming who is missing when they do not come."""
        if not self.distributed:
            return 0.0
        s = self.settings
        expect = s.workers + (s.remote.expected if s.remote else 0)
        timeout = timeout if timeout is not None else (
            s.remote.join_timeout if s.remote else 60.0)
        t0 = time.monotonic()
        while True:
            self._early += self._read()
            if len(self.hosts.joined()) >= expect:
                return time.monotonic() - t0
            master_gone = self._procs[0].poll() is not None
            if master_gone or time.monotonic() - t0 > timeout:
                raise LoadError(self.hosts.missing_message(
                    expect, self.expected_names(), timeout, self.master,
                    master_gone=master_gone))
            time.sleep(0.1)

    def _spawn(self, argv: list[str], log_name: str, worker: str | None = None) -> None:
        with open(self.obs_dir / log_name, "ab") as log:
            proc = subprocess.Popen(argv, env=self._env(worker), stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        self._procs.append(proc)

    def poll(self) -> list[Observation]:
        """Observations written since the last call, in answer-time order (batches from
        several workers interleave); what the file says of the load hosts goes to ``hosts``."""
        out, self._early = self._early + self._read(), []
        out.sort(key=lambda o: o.end)
        return out

    def _read(self) -> list[Observation]:
        try:
            with open(self.obs_file, "rb") as f:
                f.seek(self._offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        lines = (self._partial + chunk.decode("utf-8", errors="replace")).split("\n")
        self._partial = lines[-1]     # a line still being written
        out: list[Observation] = []
        for line in lines[:-1]:
            if line:
                item = parse_line(line)
                if isinstance(item, Observation):
                    out.append(item)
                else:
                    self.hosts.apply(item)
        return out

    def alive(self) -> bool:
        return any(p.poll() is None for p in self._procs)

    def pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    def stop(self, timeout: float = 10) -> None:
        """Stop cleanly: every request in flight gets its answer and its line.

        SIGTERM makes Locust stop its users with ``--stop-timeout``: each
        finishes the request it is in, then stops. In distributed mode only the
        master is signalled; it tells the workers to quit, and they stop their
        users the same way. A worker signalled at the same time would race the
        master's quit message, so workers get SIGTERM only if still alive later.
        """
        if not self._procs:
            return
        deadline = time.monotonic() + timeout
        _signal(self._procs[0], signal.SIGTERM)
        for p in self._procs:
            if not _wait(p, deadline - time.monotonic()):
                _signal(p, signal.SIGTERM)
        for p in self._procs:
            if not _wait(p, max(1.0, deadline - time.monotonic())):
                _signal(p, signal.SIGKILL)
                p.wait()


def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass  # it exited between poll() and the signal: what we wanted


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        proc.wait(timeout=max(0.0, timeout))
        return True
    except subprocess.TimeoutExpired:
        return False


def stray_locust_config(cwd: Path | None = None) -> list[str]:
    """Locust's own configuration files that would apply to chaos's Locust, which runs in
    this directory: ``~/.locust.conf``, ``./locust.conf``, ``[tool.locust]`` in
    ``./pyproject.toml``. Options they set that chaos does not pass change the load."""
    cwd = cwd or Path.cwd()
    found = [str(p) for p in (Path.home() / ".locust.conf", cwd / "locust.conf") if p.is_file()]
    pyproject = cwd / "pyproject.toml"
    try:
        if pyproject.is_file() and "[tool.locust]" in pyproject.read_text(errors="replace"):
            found.append(f"{pyproject} [tool.locust]")
    except OSError:
        pass
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on now (the master binds it next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
