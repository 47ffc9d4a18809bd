"""The CI sample of the interruption harness (benchmarks/interrupt_harness.py).

Four interruptions (lab start, mid-fault, recovery, teardown; SIGINT and
SIGTERM alternately), then SIGKILL of the orchestrator followed by
`chaos lab down --stale`. The full sweep (20 tries) is run by hand; its figures
are in docs/reliability.md.
"""

from __future__ import annotations

import pytest

from benchmarks.interrupt_harness import run_harness

pytestmark = pytest.mark.docker


def test_interrupted_runs_leave_nothing_and_keep_their_record(lab_images):
    summary = run_harness(n=4, seed=11, sigkill=False,
                          phases=["lab_start", "mid_fault", "recovery", "report"])
    assert summary["tries"] == 4
    details = {t["phase"]: t for t in summary["details"]}
    assert summary["leaks"] == 0, details
    assert summary["problems"] == 0, details
    assert details, summary
    assert all(t["status"] == "aborted" and t["exit_code"] == 130
               for t in details.values()), details
    # A signal during teardown is deferred, not dropped: the lab comes down, then the run
    # ends aborted (exit 130) with that signal named.
    assert "during teardown" in details["report"]["abort_reason"], details["report"]


def test_interrupted_mid_restore_pitr_and_mid_failover_nothing_is_left(lab_images):
    """The archive volume, the base backup, the replica and the restore's helper
    container are all labelled: a signal in the middle of either step leaves none."""
    summary = run_harness(n=2, seed=13, sigkill=False, phases=["mid_pitr", "mid_failover"])
    details = {t["phase"]: t for t in summary["details"]}
    assert summary["leaks"] == 0 and summary["problems"] == 0, details
    assert all(t["status"] == "aborted" and t["exit_code"] == 130
               for t in details.values()), details
    # the signal really came while the step was running (not after it finished)
    assert all(t["mid_step"] for t in details.values()), details


def test_sigkill_leaves_a_stale_lab_that_is_warned_about_and_cleaned(lab_images):
    import tempfile
    from pathlib import Path

    import yaml

    from benchmarks.interrupt_harness import SCENARIO, sigkill_then_stale

    work = Path(tempfile.mkdtemp(prefix="chaos-sigkill-"))
    scenario = work / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO, sort_keys=False))
    report = sigkill_then_stale(scenario, work, log=print)
    assert report["left_after_kill"] > 0          # SIGKILL cannot clean up: that is the point
    assert report["warned"], report
    assert report["down_exit"] == 0 and report["left_after_stale"] == 0, report
    assert report["load_left_after_kill"] > 0        # the orphaned load generator...
    assert report["load_left_after_stale"] == 0, report   # ...is stopped by `down --stale`
    assert report["next_run_left"] == 0, report
