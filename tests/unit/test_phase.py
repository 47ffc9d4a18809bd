"""The fault's phase against Prometheus's evaluation ticks (``chaos.trial.faultphase``)."""

from __future__ import annotations

import pytest

from chaos.measure.timeline import Clock
from chaos.trial.faultphase import fault_delay


@pytest.mark.parametrize("phase", [0.0, 3.2, 7.5, 14.9])
@pytest.mark.parametrize("tick_wall", [1_000.0, 1_007.3, 999_999.9])
def test_the_first_fault_lands_at_the_phase_asked(phase, tick_wall):
    clock = Clock(mono0=0.0, wall0=1_000_000.0)
    delay = fault_delay(40.0, clock, (tick_wall, 15.0), phase)
    assert 0.0 <= delay < 15.0
    landed = clock.wall0 + 40.0 + delay
    assert (landed - tick_wall) % 15.0 == pytest.approx(phase, abs=0.002)
