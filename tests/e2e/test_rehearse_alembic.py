"""A migration tool's own output rehearsed: Alembic's offline SQL (`upgrade --sql`).

Alembic renders one migration of tests/data/alembic_shop for PostgreSQL without
connecting anywhere; chaos cuts it (one BEGIN … COMMIT: one unit) and rehearses it
under the seed's load. Rerunning Alembic's SQL after it committed fails on the
``alembic_version`` table it creates: a lost acknowledgement is not recoverable by
a plain rerun, which is what the rehearsal must say.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chaos.faults.sqlunits import load_units
from tests.e2e.conftest import REPO, run_chaos
from tests.e2e.test_rehearse import QUICK, SEED

pytestmark = pytest.mark.docker

PROJECT = REPO / "tests" / "data" / "alembic_shop"


def test_alembic_offline_sql_is_cut_and_rehearsed(tmp_path, lab_images):
    rendered = subprocess.run([sys.executable, "-m", "alembic", "-c",
                               str(PROJECT / "alembic.ini"), "upgrade", "head", "--sql"],
                              capture_output=True, text=True, timeout=120, check=True)
    script = tmp_path / "0001_discount.sql"
    script.write_text(rendered.stdout)
    (unit,) = load_units(script)
    assert unit.transaction and len(unit.statements) == 7   # BEGIN, 5 statements, COMMIT
    assert unit.statements[2].text == "ALTER TABLE products ADD COLUMN discount_pct INTEGER"

    out = tmp_path / "run"
    discount = ("invariants=[{name: every product has a discount, query: 'SELECT count(*) "
                "FROM products WHERE discount_pct IS NULL', expect: 0}]")
    done = run_chaos("rehearse", str(script), "--scenario", str(SEED), "--out", str(out),
                     "--allow-outside-files", "--set", discount, *QUICK, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr
    rows = {r["boundary"]: r for r in json.loads((out / "rehearsal.json").read_text())
            ["boundaries"]}
    assert list(rows) == ["clean", "after-0", "lost-ack"]
    assert rows["clean"]["passed"] and rows["after-0"]["passed"], rows
    assert rows["after-0"]["converged"] is True   # the clean run's alembic_version is gone:
    # each boundary starts from a database made again from the golden template
    lost = rows["lost-ack"]
    assert done.returncode == 1 and not lost["passed"]
    assert "alembic_version" in lost["recovery"] and "already exists" in lost["recovery"]
