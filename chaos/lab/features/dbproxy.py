"""The fault proxy between app and database, for hosts without ``sch_netem``.

Only labs whose scenario has network faults that need it get the proxy. The app
keeps connecting to the database's service name: a container-scoped link alias
(``links: [chaos-dbproxy:db]``) makes that name resolve, *in the app only*, to
the proxy, which forwards to the real database. Docker's embedded DNS answers
link aliases before service names, so neither the user's compose file nor the
app's configuration changes. The proxy's source travels in the command line, so
nothing is mounted from this host (a remote ``DOCKER_HOST`` works too).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from chaos.lab.feature import LabFeature, OverrideDoc, lab_feature
from chaos.lab.images.recipes import HELPER_IMAGE
from chaos.lab.netem import netem_available
from chaos.parts import LabNeeds
from chaos.scenario import Scenario

PROXY_SOURCE = Path(__file__).resolve().parents[1] / "proc" / "faultproxy.py"
PROXY_SERVICE = "chaos-dbproxy"
PROXY_CONTROL_PORT = 8474


def needs_proxy(needs: LabNeeds) -> bool:
    """Whether the app must reach the database through the fault proxy (probes netem once)."""
    if needs.db_proxy == "always":
        return True
    return needs.db_proxy == "without_netem" and not netem_available()


@lab_feature
@dataclass(frozen=True)
class FaultProxy(LabFeature):
    name: ClassVar[str] = "db_proxy"

    @classmethod
    def from_scenario(cls, scenario: Scenario, needs: LabNeeds) -> FaultProxy | None:
        return cls() if needs_proxy(needs) else None

    def override(self, o: OverrideDoc) -> None:
        spec = o.spec
        # Compose interpolates "$" in the file; the source must reach python untouched.
        source = PROXY_SOURCE.read_text(encoding="utf-8").replace("$", "$$")
        o.doc["services"][PROXY_SERVICE] = {
            "image": HELPER_IMAGE,
            "command": ["python3", "-c", source,
                        "--listen", f"0.0.0.0:{spec.db_port}",
                        "--upstream", f"{spec.db_service}:{spec.db_port}",
                        "--control", f"0.0.0.0:{PROXY_CONTROL_PORT}"],
            "ports": [f"127.0.0.1::{PROXY_CONTROL_PORT}"],
            "depends_on": [spec.db_service],
            "labels": o.tags,
            "stop_grace_period": "1s",
        }
        o.service(spec.app_service)["links"] = [f"{PROXY_SERVICE}:{spec.db_service}"]
