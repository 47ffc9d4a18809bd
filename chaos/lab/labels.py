"""Resource labels: how we recognise what is ours, and nothing else.

Every container, network and volume a lab creates carries ``chaos.lab=<id>``.
The owner's pid and host let `chaos lab down --stale` find labs whose
orchestrator died; ``chaos.pid=0`` marks a lab started on purpose to outlive
its command (`chaos lab up`).
"""

from __future__ import annotations

import os
import re
import socket

LAB = "chaos.lab"
#: What a lab id looks like (``secrets.token_hex(4)``): checked before an id selects
#: anything, so that an empty or path-like id can never widen a selection.
LAB_ID = re.compile(r"[0-9a-f]{8}")


def is_lab_id(text: object) -> bool:
    return isinstance(text, str) and LAB_ID.fullmatch(text) is not None
PID = "chaos.pid"
HOST = "chaos.host"


def lab_labels(lab_id: str, owner_pid: int | None) -> dict[str, str]:
    return {LAB: lab_id, PID: str(owner_pid or 0), HOST: socket.gethostname()}


def owner_alive(labels: dict[str, str]) -> bool:
    """False only when we can tell the owning process is gone."""
    pid = int(labels.get(PID, "0") or 0)
    if pid == 0 or labels.get(HOST) != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
