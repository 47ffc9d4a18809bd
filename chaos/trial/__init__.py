"""A trial, split along the domain: the loop and the parts it drives.

    context.py    TrialContext (what parts may use) and Worker threads
    state.py      TrialState: what was measured, and why the trial ended
    faults.py     FaultSchedule and FaultState: inject at `at`, revert after `duration`
    schedules.py  Sampler (per-second samples) and BackupSchedule
    recovery.py   Recovery: the runbook by trigger, by hand, or after an abort
    ending.py     EndPolicy: recovered, no impact, time limit, asked to, aborted
    status.py     TrialStatus: the frozen view others read (its phase included)
    loop.py       Trial: the loop tying them together
    recorded.py   trial_record: a trial as the run record holds it
"""

from chaos.trial.context import TrialContext, Worker
from chaos.trial.faultschedule import FaultState
from chaos.trial.loop import Trial, load_settings
from chaos.trial.recovery import RecoveryBusy
from chaos.trial.state import TrialState
from chaos.trial.status import TrialStatus

__all__ = ["Trial", "TrialContext", "TrialState", "TrialStatus", "FaultState", "RecoveryBusy",
           "Worker", "load_settings"]
