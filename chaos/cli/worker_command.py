"""``chaos worker --master HOST:PORT``: this host sends load for a run on another one.

It becomes a plain Locust worker (``locust --worker -f -``): the master sends it the
scenario's locustfile (or its declared requests) and chaos's stream files, so this
host needs Locust and nothing of the scenario. The process is replaced by Locust's, so
a signal reaches Locust itself; it retries the master for a while if the run has not
started it yet.
"""

from __future__ import annotations

import os
import sys

from chaos.errors import UsageError
from chaos.load.runner import WORKER_NAME_ENV


def worker_argv(master: str) -> list[str]:
    host, sep, port = master.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--master is HOST:PORT, e.g. 10.20.0.1:5557, got '{master}'")
    return [sys.executable, "-m", "locust", "-f", "-", "--worker", "--master-host", host,
            "--master-port", port]


def worker_cmd(master: str, name: str | None) -> None:
    argv = worker_argv(master)
    env = dict(os.environ)
    if name:
        env[WORKER_NAME_ENV] = name
    os.execve(sys.executable, argv, env)
