"""chaos.measure.stats on hand-made samples whose answers are known."""

from __future__ import annotations

import math

import pytest

from chaos.measure import stats

INF = math.inf


@pytest.mark.parametrize("n1, n2, p", [(1, 1, 1.0), (2, 2, 1 / 3), (3, 3, 0.1), (4, 4, 2 / 70),
                                       (5, 5, 2 / 252), (3, 10, 2 / 286)])
def test_min_p_value(n1, n2, p):
    assert stats.min_p_value(n1, n2) == pytest.approx(p)


def test_trials_needed_at_5_percent_is_4_per_side():
    assert stats.trials_needed(0.05) == 4
    assert stats.trials_needed(0.01) == 5   # 2/252 = 0.0079 < 0.01; 2/70 = 0.029 is not


def test_separated_samples_5_per_side():
    test = stats.mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert test.p == pytest.approx(2 / 252)  # exact: the most extreme of C(10, 5) orderings, twice
    assert test.effect == 1.0 and test.u == 25
    low, high = stats.difference_ci([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert 0 < low <= 5 <= high  # the difference of medians is 8 - 3 = 5


def test_candidate_lower_has_effect_below_half():
    test = stats.mann_whitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
    assert test.p < 0.05 and test.effect == 0.0


def test_identical_samples():
    assert stats.mann_whitney([3, 3, 3, 3, 3], [3, 3, 3, 3, 3]).p == 1.0
    assert stats.difference_ci([3, 3, 3, 3, 3], [3, 3, 3, 3, 3]) == (0.0, 0.0)
    same = [2.4, 2.5, 2.3, 2.6, 2.4]
    assert stats.mann_whitney(same, same).p == 1.0
    low, high = stats.difference_ci(same, same)
    assert low <= 0 <= high


def test_ci_is_reproducible():
    a, b = [2.4, 2.5, 2.3, 2.6, 2.4], [15.4, 15.6, 15.3, 15.5, 15.8]
    assert stats.difference_ci(a, b) == stats.difference_ci(a, b)
    low, high = stats.difference_ci(a, b)
    assert 12.7 <= low <= high <= 13.5


def test_tiny_samples_have_no_ci():
    assert stats.difference_ci([1], [2]) == "needs at least 2 trials per side"


def test_all_null_samples():
    assert stats.mann_whitney([INF] * 5, [INF] * 5).p == 1.0
    assert "nulls" in stats.difference_ci([INF] * 5, [INF] * 5)


def test_null_ranks_worse_than_any_value():
    test = stats.mann_whitney([1, 2, 3, 4, 5], [INF] * 5)
    assert test.p < 0.05 and test.effect == 1.0


def test_quantiles_with_nulls():
    assert stats.quantile([1, 2, 3, 4], 0.5) == 2.5
    assert stats.quantile([1, 2, INF, INF], 0.5) == INF   # between a value and "never": never
    assert stats.quantile([-INF, 3, 5], 0.5) == 3
    s = stats.spread([1, 2, 3, 4, 5])
    assert (s.median, s.q1, s.q3, s.iqr, s.min, s.max) == (3, 2, 4, 2, 1, 5)
    assert stats.spread([1, INF, INF]).iqr == INF
    assert stats.spread([]) is None
