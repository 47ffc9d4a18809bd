"""Drive load with Locust in a subprocess and follow its per-request stream.

    load = LoadRunner(url, LoadSettings(users=20, ...), workdir)
    load.start()
    for obs in load.poll():     # new observations since the last call
        ...
    load.stop()

The orchestrator never imports locust (it would monkey-patch this process with
gevent); it only reads the JSON lines the locustfile writes.

With ``workers=N`` Locust runs distributed on this host: one master (which
sends no requests) and N worker processes that connect to it on a free
127.0.0.1 port. Requests fire in the workers, so each worker writes its own
``obs-<pid>.jsonl``; ``poll`` reads every such file, each byte once.
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

from chaos.measure.observation import Observation

LISTENER = Path(__file__).with_name("proc") / "listener.py"
DECLARED = Path(__file__).with_name("proc") / "declared.py"


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


class LoadRunner:
    def __init__(self, url: str, settings: LoadSettings, workdir: Path,
                 env: Mapping[str, str] | None = None) -> None:
        self.url = url
        self.settings = settings
        self.extra_env = dict(env or {})   # e.g. the lab's mark, which proves a pid ours
        self.obs_dir = workdir / "observations"
        self.obs_dir.mkdir(parents=True, exist_ok=True)
        self._procs: list[subprocess.Popen[bytes]] = []
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, str] = {}

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.extra_env}
        env["CHAOS_OBS_DIR"] = str(self.obs_dir)
        if self.settings.locustfile is None:
            env["CHAOS_REQUESTS"] = str(self.obs_dir / "requests.json")
        return env

    def locustfiles(self) -> str:
        """Locust's ``-f``: the user's file (or ours for declared requests), then the listener."""
        s = self.settings
        if s.locustfile is None:
            spec = {"requests": list(s.requests), "wait": [s.wait_min, s.wait_max],
                    "timeout": s.request_timeout}
            (self.obs_dir / "requests.json").write_text(json.dumps(spec), encoding="utf-8")
        return f"{s.locustfile or DECLARED},{LISTENER}"

    def start(self) -> None:
        s = self.settings
        base = [sys.executable, "-m", "locust", "-f", self.locustfiles(), "--host", self.url,
                "--only-summary", "--loglevel", "WARNING", "--skip-log-setup"]
        headless = ["--headless", "-u", str(s.users), "-r", str(s.spawn_rate),
                    "-t", f"{int(s.run_time_s)}s", "--stop-timeout", f"{s.stop_timeout:g}"]
        if not s.workers:
            self._spawn([*base, *headless], "locust.log")
            return
        port = free_port()
        self._spawn([*base, *headless, "--master", "--master-bind-host", "127.0.0.1",
                     "--master-bind-port", str(port), "--expect-workers", str(s.workers),
                     "--expect-workers-max-wait", "60"], "locust-master.log")
        for i in range(s.workers):
            self._spawn([*base, "--worker", "--master-host", "127.0.0.1",
                         "--master-port", str(port)], f"locust-worker-{i + 1}.log")

    def _spawn(self, argv: list[str], log_name: str) -> None:
        with open(self.obs_dir / log_name, "ab") as log:
            proc = subprocess.Popen(argv, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self._procs.append(proc)

    def poll(self) -> list[Observation]:
        """Observations written since the last call, from every Locust process."""
        out: list[Observation] = []
        for path in sorted(self.obs_dir.glob("obs-*.jsonl")):
            offset = self._offsets.get(path, 0)
            with open(path, "rb") as f:
                f.seek(offset)
                chunk = f.read()
            if not chunk:
                continue
            self._offsets[path] = offset + len(chunk)
            text = self._partial.pop(path, "") + chunk.decode("utf-8", errors="replace")
            lines = text.split("\n")
            if lines[-1]:
                self._partial[path] = lines[-1]  # a line still being written
            for line in lines[:-1]:
                if line:
                    out.append(Observation.from_line(line))
        # Several files (workers) interleave: hand them over in answer-time order.
        out.sort(key=lambda o: o.end)
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the master binds it next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
