"""Wiring the fault proxy between app and database, for hosts without ``sch_netem``.

Only labs whose scenario has network faults that need it get the proxy. The app
keeps connecting to the database's service name: a container-scoped link alias
(``links: [chaos-dbproxy:db]``) makes that name resolve, *in the app only*, to
the proxy, which forwards to the real database. Docker's embedded DNS answers
link aliases before service names, so neither the user's compose file nor the
app's configuration changes. The proxy's source travels in the command line, so
nothing is mounted from this host (a remote ``DOCKER_HOST`` works too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaos.lab.recipes import HELPER_IMAGE

PROXY_SOURCE = Path(__file__).resolve().with_name("faultproxy.py")
PROXY_SERVICE = "chaos-dbproxy"
PROXY_CONTROL_PORT = 8474


def proxy_override(override: dict[str, Any], spec: Any, tags: dict[str, str]) -> None:
    # Compose interpolates "$" in the file; the source must reach python untouched.
    source = PROXY_SOURCE.read_text(encoding="utf-8").replace("$", "$$")
    override["services"][PROXY_SERVICE] = {
        "image": HELPER_IMAGE,
        "command": ["python3", "-c", source,
                    "--listen", f"0.0.0.0:{spec.db_port}",
                    "--upstream", f"{spec.db_service}:{spec.db_port}",
                    "--control", f"0.0.0.0:{PROXY_CONTROL_PORT}"],
        "ports": [f"127.0.0.1::{PROXY_CONTROL_PORT}"],
        "depends_on": [spec.db_service],
        "labels": tags,
        "stop_grace_period": "1s",
    }
    app = override["services"].setdefault(spec.app_service, {"labels": tags})
    app["links"] = [f"{PROXY_SERVICE}:{spec.db_service}"]
