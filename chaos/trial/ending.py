"""When a trial ends, and why: recovered, no impact, time limit, asked to, or aborted.

    ending = EndPolicy(scenario, ctx, state, manual=False)
    ending.observe(end_t, ok)                       # every answer (for abort_if's error rate)
    ending.check(now, faults_over=..., recovering=...)
    ending.request_end()                            # a facilitator ends a game day
    ending.abort("max_duration")                    # a run's time budget is spent

It sets ``state.end_reason`` (the loop stops when it is set) and records
``mitigated`` and ``recovered`` when the steady state confirms a recovery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaos.measure.eventkinds import Kind
from chaos.safety.abort import AbortWatch
from chaos.trial.context import TrialContext
from chaos.trial.state import TrialState

if TYPE_CHECKING:
    from chaos.scenario import Scenario


class EndPolicy:
    def __init__(self, scenario: Scenario, ctx: TrialContext, state: TrialState,
                 manual: bool) -> None:
        self.time_limit = scenario.time_limit
        self.ctx = ctx
        self.state = state
        self.manual = manual
        self.watch = AbortWatch(getattr(scenario, "abort_if", []))
        self.end_requested = False   # a facilitator ended the trial
        self.confirmed = False       # the steady state confirmed the recovery

    def observe(self, end_t: float, ok: bool) -> None:
        self.watch.observe(end_t, ok)

    def request_end(self) -> None:
        """End the trial at the next tick (its faults are reverted as always)."""
        self.end_requested = True

    def abort(self, reason: str) -> None:
        """End the trial as aborted, e.g. when the run's ``--max-duration`` is spent."""
        if self.state.end_reason is None:
            self.ctx.timeline.add(Kind.ABORT_CONDITION, reason=reason)
            self.state.end_reason = f"aborted: {reason}"

    def check(self, now: float, faults_over: bool, recovering: bool) -> None:
        self._check_end(now, faults_over, recovering)
        if self.state.end_reason is None:
            reason = self.watch.check(now, failed=self.state.counts.failed)
            if reason is not None:
                self.abort(reason)

    def _check_end(self, now: float, faults_over: bool, recovering: bool) -> None:
        st = self.state
        if st.end_reason is not None:   # the baseline failed, or already decided
            return
        if self.end_requested or now >= self.time_limit:
            no_impact = (self.manual and st.steady is not None and st.steady.impact_t is None
                         and faults_over
                         and st.steady is not None and st.steady.held_until() is not None)
            st.end_reason = ("recovered" if self.confirmed else "no_impact" if no_impact
                             else "ended_early" if self.end_requested else "time_limit")
            return
        if st.steady is None:
            return
        held = st.steady.held_until()
        if held is None or recovering or not faults_over:
            return
        if st.steady.impact_t is None:   # no indicator left its objective
            if not self.manual:
                st.end_reason = "no_impact"
            return
        if not self.confirmed:
            self.confirmed = True
            self.ctx.timeline.add(Kind.MITIGATED, t=st.steady.since)
            self.ctx.timeline.add(Kind.RECOVERED, t=held)
        if not self.manual:   # on a game day the trial goes on until the facilitator ends it
            st.end_reason = "recovered"
