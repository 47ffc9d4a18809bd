"""A migration rehearsed for real: the seed's lab and load, stopped at every boundary.

Short timings (the script at 5 s, held 3 s, 8 s to serve again, a 3 s steady state)
so that each boundary is a trial of about 15 s; the figures at the default timings
are in README.md (``benchmarks/rehearse_seed.py``).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, run_chaos

pytestmark = pytest.mark.docker

SEED = REPO / "scenarios" / "half-applied-update.yaml"
FAULTS = REPO / "scenarios" / "faults"
QUICK = ["--at", "5s", "--hold", "3s", "--settle", "8s",
         "--set", "steady_state.error_rate.for=3s", "--set", "load.users=10"]


def rehearse(tmp: Path, script: str, *extra: str) -> tuple[int, dict, ET.Element, str]:
    out, junit = tmp / "run", tmp / "rehearsal.xml"
    done = run_chaos("rehearse", str(FAULTS / script), "--scenario", str(SEED), "--out",
                     str(out), "--junit", str(junit), *QUICK, *extra, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr
    doc = json.loads((out / "rehearsal.json").read_text())
    return done.returncode, doc, ET.parse(junit).getroot(), done.stdout


def by_key(doc: dict) -> dict[str, dict]:
    return {row["boundary"]: row for row in doc["boundaries"]}


def test_the_seed_script_breaks_reads_after_statement_3_and_cannot_be_rerun(tmp_path,
                                                                           lab_images):
    code, doc, suite, stdout = rehearse(tmp_path, "reprice.sql")
    rows = by_key(doc)
    assert code == 1 and doc["status"] == "completed" and not doc["passed"]
    assert list(rows) == ["clean", *(f"after-{k}" for k in range(6)), "lost-ack"]
    assert rows["clean"]["passed"], rows["clean"]["reasons"]
    assert rows["after-0"]["passed"] and rows["after-0"]["converged"] is True
    # After statement 3 dropped the column the app reads: every read fails.
    half = rows["after-3"]["half_applied"]
    assert half["requests"] > 20 and half["error_ratio"] > 0.9
    assert any("/products" in name for name in half["failing"])
    assert rows["after-1"]["half_applied"]["error_ratio"] < 0.01   # a new column hurts nobody
    # Rerun from the top after units 1-3: its first statement finds the column it adds
    # already there; the schema is not the clean run's.
    for k in (1, 2, 3):
        row = rows[f"after-{k}"]
        assert not row["passed"] and row["recovery"].startswith("failed")
        assert "already exists" in row["recovery"], row["recovery"]
        assert row["converged"] is False and row["schema_diff"]
    assert rows["after-3"]["serving_again"] is False
    # After unit 4 renamed the new column, a rerun goes through and raises the prices
    # a second time: the same schema, caught only by the scenario's invariant.
    for key in ("after-4", "after-5", "lost-ack"):
        row = rows[key]
        assert row["recovery"] == "done" and row["converged"] is True and not row["passed"]
        assert any("raised by 8% exactly once" in r for r in row["reasons"]), row["reasons"]
    # The clean run's units: each timed, the UPDATE seen locking the table.
    units = rows["clean"]["statements"]
    assert [u["unit"] for u in units] == [1, 2, 3, 4, 5, 6]
    assert all(u["duration_s"] is not None for u in units)
    assert any(rel == "products" for u in units for rel in u["locks"])
    assert suite.get("tests") == "8" and suite.get("failures") == "6"
    assert "died after unit 3 of 6" in stdout and "verdict: FAIL" in stdout


def test_one_transaction_breaks_no_boundary_and_a_lost_ack_is_caught(tmp_path, lab_images):
    code, doc, suite, _ = rehearse(tmp_path / "tx", "reprice-transactional.sql")
    rows = by_key(doc)
    assert list(rows) == ["clean", "after-0", "lost-ack"]
    for key in ("clean", "after-0"):
        assert rows[key]["passed"], rows[key]["reasons"]
        assert rows[key]["half_applied"]["error_ratio"] < 0.01
    lost = rows["lost-ack"]
    assert lost["acknowledgement"].startswith("lost: the connection was cut")
    assert not lost["passed"] and code == 1
    assert any("raised by 8% exactly once" in r for r in lost["reasons"]), lost["reasons"]
    assert lost["converged"] is True   # the same schema, the prices raised twice
    run = tmp_path / "tx" / "run"
    record = json.loads((run / "result.json").read_text())
    assert [b["boundary"] for b in record["rehearsal"]["boundaries"]] == list(rows)
    assert record["rehearsal"]["status"] == "completed"
    html = (run / "report.html").read_text()
    assert 'id="rehearsal"' in html and "committed, acknowledgement lost" in html
    assert (run / "rehearsal.png").stat().st_size > 5_000
