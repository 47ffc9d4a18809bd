"""Drive load with Locust in a subprocess and follow its per-request stream.

    load = LoadRunner(url, LoadSettings(users=20, ...), workdir)
    load.start()
    for obs in load.poll():     # new observations since the last call
        ...
    load.stop()

The orchestrator never imports locust (it would monkey-patch this process with
gevent); it only reads the JSON lines the locustfile writes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass(frozen=True)
class Observation:
    """One request as the user saw it. ``end`` is when the answer arrived (wall clock)."""

    start: float
    end: float
    ok: bool
    status: int
    write: bool
    ref: str | None = None
    ack_id: int | None = None

    @property
    def unknown_write(self) -> bool:
        # No HTTP answer at all: the database may or may not have committed it.
        return self.write and not self.ok and self.status == 0

    @classmethod
    def from_line(cls, line: str) -> "Observation":
        d = json.loads(line)
        return cls(start=d["t"], end=d["t"] + d["ms"] / 1000.0, ok=d["ok"], status=d["st"],
                   write=d["k"] == "w", ref=d.get("ref"), ack_id=d.get("id"))


@dataclass(frozen=True)
class LoadSettings:
    users: int = 20
    spawn_rate: float = 20
    read: int = 8
    write: int = 2
    wait_min: float = 0.05
    wait_max: float = 0.2
    request_timeout: float = 5.0
    run_time_s: float = 600     # hard bound: Locust stops itself even if we die


class LoadRunner:
    def __init__(self, url: str, settings: LoadSettings, workdir: Path) -> None:
        self.url = url
        self.settings = settings
        self.obs_dir = workdir / "observations"
        self.obs_dir.mkdir(parents=True, exist_ok=True)
        self._procs: list[subprocess.Popen] = []
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, str] = {}

    def _env(self) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        env.update(CHAOS_OBS_DIR=str(self.obs_dir), CHAOS_MIX_READ=str(s.read),
                   CHAOS_MIX_WRITE=str(s.write), CHAOS_WAIT_MIN=str(s.wait_min),
                   CHAOS_WAIT_MAX=str(s.wait_max), CHAOS_REQUEST_TIMEOUT_S=str(s.request_timeout))
        return env

    def start(self) -> None:
        s = self.settings
        base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", self.url,
                "--only-summary", "--loglevel", "WARNING", "--skip-log-setup"]
        log = open(self.obs_dir / "locust.log", "ab")
        headless = ["--headless", "-u", str(s.users), "-r", str(s.spawn_rate),
                    "-t", f"{int(s.run_time_s)}s", "--stop-timeout", "2"]
        self._spawn([*base, *headless], log)

    def _spawn(self, argv: list[str], log) -> None:
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
        return out

    def alive(self) -> bool:
        return any(p.poll() is None for p in self._procs)

    def stop(self, timeout: float = 10) -> None:
        for p in self._procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self._procs:
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
