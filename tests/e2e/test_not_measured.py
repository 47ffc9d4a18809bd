"""Nothing passes on what was not measured, end to end: the queue example with a TTD
target its slow alert (``for: 90s``) cannot meet during a 40 s outage, and a
locustfile that makes the natural write-contract mistake (``write_ref`` set on its own
dict after the request: Locust copies ``context``). Both targets fail and say "not
measured" and why; chaos exits 1. Times nothing: runs beside the timed labs."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import load_result, run_chaos
from tests.e2e.test_indicators_queue import QUEUE, shortened

pytestmark = pytest.mark.docker


def test_a_ttd_and_a_data_loss_never_measured_fail(tmp_path, lab_images):
    path = shortened(tmp_path, "scenario-slow-alert.yaml",
                     targets={"ttd": "90s", "data_loss": 0})
    text = path.read_text().replace(str(QUEUE / "locustfile.py"),
                                    str(QUEUE / "locustfile_broken_contract.py"))
    path.write_text(text)
    out = tmp_path / "run"
    done = run_chaos("run", str(path), "--out", str(out), "--allow-outside-files", timeout=400)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    result = load_result(out).as_dict()
    (trial,) = result["trials"]
    assert trial["impact"] is True and trial["ttd_s"] is None
    targets = {t["metric"]: t for t in trial["targets"]}
    assert targets["ttd"]["passed"] is False
    assert targets["ttd"]["note"].startswith("never detected: indicator 'backlog")
    assert "left its objective" in targets["ttd"]["note"]
    assert "no detector fired" in targets["ttd"]["note"]
    assert targets["data_loss"]["passed"] is False and targets["data_loss"]["observed"] is None
    assert targets["data_loss"]["note"].startswith("not measured: no request carried write_ref")
    assert trial["data_loss"] is None
    assert result["passed"] is False
    assert "FAIL ttd" in done.stdout and "never detected" in done.stdout, done.stdout[-2000:]
    assert "FAIL data_loss" in done.stdout and "not measured" in done.stdout, done.stdout[-2000:]
