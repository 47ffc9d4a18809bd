"""What `chaos run` prints while a trial runs: a rich panel on a terminal, lines elsewhere."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from rich.console import Console

from chaos import settings
from chaos.progress import PlainDisplay, RichDisplay, for_terminal, format_event, is_interactive
from chaos.settings import Settings
from chaos.trial import TrialStatus


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty, ci, expected", [(True, "", True), (True, "true", False),
                                               (False, "", False), (True, "1", False)])
def test_live_display_only_on_a_terminal_outside_ci(tty, ci, expected):
    with settings.override(**vars(Settings.from_env({"CI": ci}))):
        assert is_interactive(Stream(tty)) is expected


def test_off_a_terminal_every_event_is_a_plain_line():
    lines: list[str] = []
    with settings.override(ci=True):
        display = for_terminal(lines.append, lambda trial: None, format_event, time_limit=60)
    assert isinstance(display, PlainDisplay)
    display.event({"t": 1.5, "wall": "x", "kind": "fault_injected", "trial": 1, "fault": "pause"})
    assert lines == ["  [   1.50s] fault_injected     fault=pause"]


def fake_trial(now: float) -> SimpleNamespace:
    status = TrialStatus(now=now, time_limit=90, t_fault=5.0, detected_at=None,
                         marked_detected=False, recovery_started=False, recovering=False,
                         confirmed=False, end_reason=None, faults=(), rps=61.0, error_ratio=0.25,
                         total=120, failed=30, last_failure_t=None, last_answer_t=None,
                         manual=False)
    return SimpleNamespace(status=lambda: status)


def test_the_terminal_panel_shows_phase_times_rates_and_last_events():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    display = RichDisplay(format_event, time_limit=90, url="http://127.0.0.1:4000/",
                          title="db paused · trial 1", console=console)
    display.event({"t": 5.0, "wall": "x", "kind": "fault_injected", "trial": 1, "fault": "pause"})
    display.tick(fake_trial(12.5))
    display.close()
    text = out.getvalue()
    for expected in ("db paused · trial 1", "fault active, undetected", "12.5 s elapsed",
                     "77.5 s left", "61 req/s", "25.0%", "30 of 120 failed",
                     "http://127.0.0.1:4000/", "fault_injected     fault=pause"):
        assert expected in text, expected
