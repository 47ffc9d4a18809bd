"""Every kind of timeline event, in one list.

    timeline.add(Kind.FAULT_INJECTED, t=t, fault="pause", index=0)
    if event["kind"] == Kind.RECOVERED: ...

A ``Kind`` is a ``str``: it is written to timeline.jsonl and result.json as its
value, and compares equal to the plain string a record read back holds, so
records written before this list existed read the same. Whoever emits a new
kind adds it here; ``tests/unit/test_event_kinds.py`` walks ``chaos/`` and fails
on an event kind written as a literal that this list does not hold.

Grouped by who emits them; a part's own events (a detector's, a step's) are
listed too, so a report can name them, although only the part explains them
(``describe`` in ``chaos.parts``).
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    # the trial (chaos/trial/)
    TRIAL_STARTED = "trial_started"
    LOAD_STARTED = "load_started"
    LOAD_HOST_JOINED = "load_host_joined"     # a Locust worker joined (its clock measured)
    LOAD_HOST_LOST = "load_host_lost"         # a Locust worker went silent mid-trial
    BASELINE_HELD = "baseline_held"
    BASELINE_FAILED = "baseline_failed"
    BACKUP_TAKEN = "backup_taken"
    BASE_BACKUP_STARTED = "base_backup_started"
    BASE_BACKUP_TAKEN = "base_backup_taken"
    BASE_BACKUP_FAILED = "base_backup_failed"
    REPLICATION_LAG = "replication_lag"
    IMPACT = "impact"
    DETECTOR_FIRED = "detector_fired"
    ABORT_CONDITION = "abort_condition"
    MITIGATED = "mitigated"
    RECOVERED = "recovered"
    TRIAL_ENDED = "trial_ended"
    SAMPLE = "sample"                  # a periodic measurement line, file only
    # faults (chaos/trial/faultschedule.py)
    FAULT_INJECTED = "fault_injected"
    FAULT_APPLIED = "fault_applied"
    FAULT_REVERTED = "fault_reverted"
    FAULT_REVERT_FAILED = "fault_revert_failed"
    FAULT_CLEANUP_FAILED = "fault_cleanup_failed"
    # recovery (chaos/trial/recovery.py, chaos/recover/)
    RECOVERY_STARTED = "recovery_started"
    RECOVERY_FINISHED = "recovery_finished"
    RECOVERY_FAILED = "recovery_failed"
    STEP_STARTED = "step_started"
    STEP_DONE = "step_done"
    STEP_FAILED = "step_failed"
    PITR_PHASE = "pitr_phase"
    FAILOVER_PHASE = "failover_phase"
    # a detector following the user's alert (its own events, described by the part)
    ALERT_PENDING = "alert_pending"
    ALERT_FIRING = "alert_firing"
    ALERT_NOTIFIED = "alert_notified"
    ALERT_RESOLVED = "alert_resolved"
    ALERT_BLIND = "alert_blind"
    ALERT_SIGHTED = "alert_sighted"
    ALERT_EXPRESSION = "alert_expression"
    SCRAPE_TARGET_DOWN = "scrape_target_down"
    # people, on a game day (chaos/live/, chaos/run.py)
    MARK = "mark"
    JOINED = "joined"
    BLIND_CHOICE = "blind_choice"
    FAULT_CHOSEN = "fault_chosen"
    REVEALED = "revealed"
    PAGE_FORWARDED = "page_forwarded"
    # written by versions of chaos that no longer do; read so their records still render
    INDICATOR_OUT = "indicator_out"
    INDICATOR_IN = "indicator_in"
