"""Signals during teardown are deferred, then acted on; never dropped."""

from __future__ import annotations

import os
import signal

import pytest

from chaos.signals import Interrupted, shielded, terminate_like_ctrl_c


def test_a_signal_during_a_shielded_block_waits_for_its_end_then_interrupts():
    done = []
    with pytest.raises(Interrupted) as caught, shielded() as shield:
        os.kill(os.getpid(), signal.SIGTERM)
        done.append("teardown finished")   # the signal did not cut the block short
        assert shield.name == "SIGTERM"
    assert done == ["teardown finished"]
    assert caught.value.signum == signal.SIGTERM


def test_only_the_first_deferred_signal_is_raised_and_handlers_come_back():
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(Interrupted) as caught, shielded():
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGINT)
    assert caught.value.signum == signal.SIGHUP
    assert signal.getsignal(signal.SIGINT) is before


def test_a_quiet_block_raises_nothing():
    with shielded() as shield:
        pass
    assert shield.caught == []


def test_an_error_inside_the_block_wins_over_a_deferred_signal():
    with pytest.raises(ValueError), shielded():
        os.kill(os.getpid(), signal.SIGINT)
        raise ValueError("teardown broke")


def test_sigterm_unwinds_like_ctrl_c_once_asked_and_only_over_the_default():
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        terminate_like_ctrl_c()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
        def theirs(_n: int, _f: object) -> None:   # someone else's handler...
            pass

        signal.signal(signal.SIGTERM, theirs)
        terminate_like_ctrl_c()
        assert signal.getsignal(signal.SIGTERM) is theirs       # ...is left alone
    finally:
        signal.signal(signal.SIGTERM, previous)
