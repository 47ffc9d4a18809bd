import math

import pytest
from pydantic import BaseModel, ValidationError

from chaos.scenario.duration import (
    Duration,
    NonNegDuration,
    Ratio,
    format_duration,
    parse_duration,
    parse_ratio,
)


@pytest.mark.parametrize("text, seconds", [
    ("500ms", 0.5), ("30s", 30), ("2m", 120), ("1h", 3600), ("1m30s", 90),
    ("1h2m3s", 3723), ("1.5s", 1.5), ("0s", 0), (" 10s ", 10), ("1m 30s", 90),
    (5, 5), (0.25, 0.25), ("12", 12), ("0.5", 0.5),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad, message", [
    ("10 minutes", "invalid duration"), ("s", "invalid duration"), ("", "invalid duration"),
    ("5x", "invalid duration"), ("-5s", "negative"), (-1, "negative"), (True, "got True"),
    (None, "got nothing"), ([1], "got a list"), (math.inf, "infinity is not a number"),
    (-math.inf, "-infinity is not a number"), (math.nan, "NaN is not a number"),
    ("30000h", "too long"), (10**30, "too long"),
    # one strict grammar: units largest first, each once; ASCII digits; no float() extras
    ("1h1h", "invalid duration"), ("30s1m", "invalid duration"), ("1_0", "invalid duration"),
    ("\u0661\u0660s", "invalid duration"), ("nan", "invalid duration"), ("inf", "invalid duration"),
    ("1e3", "invalid duration"), ("30sms", "invalid duration"), ("1s500", "invalid duration"),
    ("+5s", "invalid duration"),
])
def test_parse_duration_rejects(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_duration(bad)


@pytest.mark.parametrize("seconds, text", [(90, "1m30s"), (0.5, "500ms"), (3600, "1h"),
                                           (30, "30s"), (0, "0ms"), (3725, "1h2m5s")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("value, ratio", [("5%", 0.05), ("0.05", 0.05), (0.05, 0.05), (0, 0.0),
                                          (1, 1.0), ("100%", 1.0), ("0%", 0.0), (" 12.5% ", 0.125)])
def test_parse_ratio(value, ratio):
    assert parse_ratio(value) == pytest.approx(ratio)


@pytest.mark.parametrize("bad, message", [("150%", "out of range"), (5, "out of range"),
                                          (-0.1, "out of range"), ("five%", "invalid percentage"),
                                          (True, "got True"), (math.nan, "NaN is not"),
                                          (None, "got nothing"), ("nan%", "NaN is not"),
                                          ("inf", "infinity is not"), ("1_0%", "invalid"),
                                          ("\u0661%", "invalid")])
def test_parse_ratio_rejects(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_ratio(bad)


class Timed(BaseModel):
    every: Duration = 1.0
    at: NonNegDuration = 0.0
    share: Ratio = 0.0


def test_annotated_types_in_a_model():
    model = Timed(every="1m30s", at="0s", share="5%")
    assert (model.every, model.at, model.share) == (90.0, 0.0, 0.05)


def test_duration_must_be_positive_but_nonneg_allows_zero():
    with pytest.raises(ValidationError, match="greater than 0"):
        Timed(every="0s")
    assert Timed(at=0).at == 0.0
