"""Systems that are not the shop, end to end on real Docker: a ledger driven by its own
plain locustfile and a notes service driven by declared requests. Checked against
what chaos does not compute itself: the Docker engine's own events for the fault's
true length, each example's own table for the lost-write recount."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from chaos.lab.engine import client
from chaos.lab.lab import Lab
from chaos.lab.resources import list_resources
from tests.e2e.conftest import REPO, load_result, run_chaos

pytestmark = pytest.mark.docker

EXAMPLES = REPO / "examples"
TTM_TOLERANCE_S = 0.5

CASES = {
    # example: (db service, event that starts the outage, event that ends it,
    #           query listing every stored ref, the invariant's name)
    "ledger": ("ledger-db", "pause", "unpause", "SELECT idem_key FROM transfers",
               "the books balance"),
    "notes": ("store", "die", "start", "SELECT uid::text FROM notes", None),
}


class EngineEvents:
    """The Docker engine's container events, streamed live while a run goes (the
    daemon's own history is a short ring buffer that health checks fill)."""

    def __init__(self) -> None:
        self.seen: list[dict] = []
        self.stream = client().events(decode=True, filters={
            "type": "container", "event": ["pause", "unpause", "die", "start", "kill"]})
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for event in self.stream:
                self.seen.append(event)
        except Exception:  # the stream was closed under us: that is how it ends
            return

    def close(self) -> None:
        self.stream.close()
        self.thread.join(timeout=5)

    def times(self, lab_id: str, service: str, action: str) -> list[float]:
        return [e["timeNano"] / 1e9 for e in self.seen
                if (e.get("Action") or e.get("status")) == action
                and e["Actor"]["Attributes"].get("chaos.lab") == lab_id
                and e["Actor"]["Attributes"].get("com.docker.compose.service") == service]


def acknowledged(obs_dir: Path) -> set[str]:
    refs = set()
    for path in obs_dir.glob("observations.jsonl"):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("ref") is not None and rec["ok"]:
                refs.add(rec["ref"])
    return refs


@pytest.mark.parametrize("example", sorted(CASES))
def test_an_example_system_is_measured_against_the_engines_own_clock(example, tmp_path,
                                                                    lab_images):
    db_service, start_action, end_action, all_refs, invariant = CASES[example]
    out = tmp_path / "run"
    events = EngineEvents()
    lab_id = None
    try:
        done = run_chaos("run", str(EXAMPLES / example / "scenario.yaml"), "--out", str(out),
                         "--keep-observations", "--keep-lab", timeout=400)
        result = load_result(out).as_dict()
        lab_id = result["lab"]["id"]
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        (trial,) = result["trials"]
        events.close()

        # The fault's true length, from the engine: the first outage event after
        # injection to the first end event after it.
        fault = next(e for e in trial["events"] if e["kind"] == "fault_injected")
        t_fault_wall = datetime.fromisoformat(fault["wall"]).timestamp()
        began = min(t for t in events.times(lab_id, db_service, start_action) if t >= t_fault_wall)
        ended = min(t for t in events.times(lab_id, db_service, end_action) if t > began)
        true_length = ended - began
        print(f"\n{example}: ttm {trial['ttm_s']} s, engine's {start_action}->{end_action} "
              f"{true_length:.3f} s, ttd {trial['ttd_s']} s")
        assert 14.0 <= true_length <= 17.0, true_length
        assert trial["ttm_s"] == pytest.approx(true_length, abs=TTM_TOLERANCE_S), (
            trial["ttm_s"], true_length)
        assert trial["ttd_s"] is not None and 0 < trial["ttd_s"] < trial["ttm_s"]
        if example == "notes":   # slo: {availability: 99%}: the budget is 1% of requests
            budget = 0.01 * trial["total_requests"]
            assert trial["error_budget_burned"] == pytest.approx(
                trial["failed_requests"] / budget, abs=0.001)
            assert trial["error_budget_burned"] > 1     # 15 s of errors in 90 s: overspent

        # Lost writes, recounted from the example's own table and the raw stream.
        acked = acknowledged(out / "trial-1" / "observations")
        assert len(acked) > 50
        lab = Lab.load(lab_id)
        with psycopg.connect(lab.db_dsn, connect_timeout=10) as conn:
            stored = {r[0] for r in conn.execute(all_refs).fetchall()}
        loss = trial["data_loss"]
        print(f"{example}: acknowledged {len(acked)}, missing from the table "
              f"{len(acked - stored)}, chaos says lost {loss['lost']}")
        assert loss["acknowledged"] == len(acked)
        assert loss["lost"] == len(acked - stored)
        # by endpoint: every declared or locustfile name shows up, each with failures
        names = {e["name"]: e for e in trial["requests_by_name"]}
        assert len(names) == 2 and all(e["failed_after_fault"] > 0 for e in names.values())
        if invariant:
            (inv,) = [i for i in trial["invariants"] if i["name"] == invariant]
            assert inv["passed"] is True
    finally:
        events.close()
        if lab_id:
            run_chaos("lab", "down", lab_id)
    assert list_resources(lab_id) == {"containers": [], "networks": [], "volumes": []}
