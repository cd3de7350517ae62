"""scorecard.stats: two-proportion tests worked by hand, minimum volumes, completed windows, properties."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scorecard.stats import (
    Labels,
    Proportion,
    compare_rates,
    completed_windows,
    format_p,
    two_proportion_test,
)

WORDS = Labels(
    trials="conversations",
    successes="meetings",
    recent="over the last 4 completed weeks",
    baseline="over the 13 weeks before",
)

# -- two proportions, by hand ---------------------------------------------------------------


def test_twenty_of_a_hundred_against_forty_of_a_hundred() -> None:
    # Pooled rate 60/200 = 0.3; variance 0.3 × 0.7 × (1/100 + 1/100) = 0.0042; SE = 0.064807.
    # z = (0.2 − 0.4) / 0.064807 = −3.0861; a z-table gives P(|Z| ≥ 3.086) = 2 × 0.001014 = 0.00203.
    test = two_proportion_test(Proportion(20, 100), Proportion(40, 100))
    assert test.z == pytest.approx(-3.0861, abs=1e-4)
    assert test.p_value == pytest.approx(0.00203, abs=1e-5)


def test_forty_five_against_thirty_five_is_not_significant() -> None:
    # Pooled 0.4; variance 0.4 × 0.6 × 0.02 = 0.0048; SE = 0.069282; z = 0.1 / 0.069282 = 1.4434;
    # P(|Z| ≥ 1.4434) = 2 × (1 − 0.92554) = 0.1489.
    test = two_proportion_test(Proportion(45, 100), Proportion(35, 100))
    assert test.z == pytest.approx(1.4434, abs=1e-4)
    assert test.p_value == pytest.approx(0.1489, abs=1e-4)


def test_the_worked_example_with_its_counts() -> None:
    # 36 of 120 (30.0%) against 180 of 410 (43.9%): pooled 216/530 = 0.40755;
    # variance 0.40755 × 0.59245 × (1/120 + 1/410) = 0.0026010; SE = 0.051000;
    # z = (0.30000 − 0.43902) / 0.051000 = −2.7260; p = 2 × 0.003206 = 0.0064.
    result = compare_rates(Proportion(36, 120), Proportion(180, 410), labels=WORDS)
    assert result.verdict == "lower"
    assert result.z == pytest.approx(-2.7260, abs=1e-4)
    assert result.p_value == pytest.approx(0.00641, abs=1e-5)
    assert result.difference == pytest.approx(0.3 - 180 / 410)
    assert result.relative == pytest.approx(0.3 / (180 / 410))
    assert result.text == (
        "30% (36 of 120 conversations → meetings) over the last 4 completed weeks "
        "vs 44% (180 of 410) over the 13 weeks before; p = 0.006: a real drop, larger than chance."
    )


def test_equal_rates_and_no_variation_give_p_one() -> None:
    same = two_proportion_test(Proportion(30, 100), Proportion(60, 200))
    assert same.z == 0 and same.p_value == pytest.approx(1.0)
    none = two_proportion_test(Proportion(0, 50), Proportion(0, 80))
    assert (none.z, none.p_value) == (0.0, 1.0)


def test_a_rise_is_higher_and_a_small_difference_is_no_change() -> None:
    assert compare_rates(Proportion(60, 100), Proportion(40, 100)).verdict == "higher"
    small = compare_rates(Proportion(45, 100), Proportion(35, 100), labels=WORDS)
    assert small.verdict == "no_change"
    assert "p = 0.15" in small.text and "no claim" in small.text


def test_the_significance_level_is_the_callers() -> None:
    # p = 0.149: not significant at 5%, significant at 20%.
    assert compare_rates(Proportion(35, 100), Proportion(45, 100)).verdict == "no_change"
    assert compare_rates(Proportion(35, 100), Proportion(45, 100), significance=0.2).verdict == "lower"
    with pytest.raises(ValueError):
        compare_rates(Proportion(35, 100), Proportion(45, 100), significance=0)


# -- minimum volumes --------------------------------------------------------------------------


def test_below_the_minimum_trials_there_is_no_claim() -> None:
    # 0 of 12 looks like a collapse from 50%, but 12 conversations say nothing.
    result = compare_rates(Proportion(0, 12), Proportion(200, 400), labels=WORDS, min_trials=30)
    assert result.verdict == "not_enough_data"
    assert result.p_value is None and result.z is None
    assert result.text.startswith("Not enough data for a claim: 12 conversations over the last 4 completed weeks")
    assert "%" not in result.text  # no rate is claimed
    assert "at least 30 in each window" in result.text


def test_too_few_outcomes_either_way_is_not_enough_data() -> None:
    # Enough trials, but at the pooled rate (2/500) each window expects under one success.
    result = compare_rates(Proportion(0, 100), Proportion(2, 400), labels=WORDS)
    assert result.verdict == "not_enough_data"
    assert "too few outcomes" in result.text


def test_counts_that_are_not_a_share_are_refused() -> None:
    with pytest.raises(ValueError):
        Proportion(5, 4)
    with pytest.raises(ValueError):
        Proportion(-1, 4)
    with pytest.raises(ValueError):
        two_proportion_test(Proportion(0, 0), Proportion(1, 4))


@pytest.mark.parametrize(("p", "text"), [(0.0004, "p < 0.001"), (0.0031, "p = 0.003"), (0.0449, "p = 0.04"), (0.5, "p = 0.50")])
def test_format_p(p: float, text: str) -> None:
    assert format_p(p) == text


# -- completed windows --------------------------------------------------------------------------


def test_windows_for_a_lagged_ratio() -> None:
    monday = date(2026, 11, 16)  # the week in progress starts here
    w = completed_windows(monday, recent_weeks=8, baseline_weeks=13, lag_weeks=4)
    assert (w.recent_successes.start, w.recent_successes.end) == (date(2026, 9, 21), date(2026, 11, 15))
    assert (w.recent_trials.start, w.recent_trials.end) == (date(2026, 8, 24), date(2026, 10, 18))
    assert (w.baseline_successes.start, w.baseline_successes.end) == (date(2026, 6, 22), date(2026, 9, 20))
    assert (w.baseline_trials.start, w.baseline_trials.end) == (date(2026, 5, 25), date(2026, 8, 23))
    assert (w.recent_successes.weeks, w.baseline_trials.weeks) == (8, 13)


def test_windows_need_whole_weeks() -> None:
    with pytest.raises(ValueError):
        completed_windows(date(2026, 11, 16), recent_weeks=0, baseline_weeks=13)
    with pytest.raises(ValueError):
        completed_windows(date(2026, 11, 16), recent_weeks=4, baseline_weeks=13, lag_weeks=-1)


# -- properties ---------------------------------------------------------------------------------

counts = st.integers(min_value=1, max_value=5_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(counts, counts)
def test_p_value_is_a_probability_and_symmetric(a: tuple[int, int], b: tuple[int, int]) -> None:
    first, second = Proportion(*a), Proportion(*b)
    ab, ba = two_proportion_test(first, second), two_proportion_test(second, first)
    assert 0.0 <= ab.p_value <= 1.0
    assert ab.p_value == ba.p_value
    assert ab.z == -ba.z
    assert not math.isnan(ab.z)


@given(counts, counts)
def test_swapping_the_windows_swaps_the_verdict(a: tuple[int, int], b: tuple[int, int]) -> None:
    forward = compare_rates(Proportion(*a), Proportion(*b), min_trials=1)
    backward = compare_rates(Proportion(*b), Proportion(*a), min_trials=1)
    flipped = {"lower": "higher", "higher": "lower", "no_change": "no_change", "not_enough_data": "not_enough_data"}
    assert backward.verdict == flipped[forward.verdict]
    assert forward.p_value == backward.p_value
    if forward.p_value is not None:
        assert 0.0 <= forward.p_value <= 1.0


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=1, max_value=26),
    st.integers(min_value=1, max_value=52),
    st.integers(min_value=0, max_value=12),
)
def test_windows_never_reach_into_the_period_in_progress(
    current_start: date, recent: int, baseline: int, lag: int
) -> None:
    w = completed_windows(current_start, recent_weeks=recent, baseline_weeks=baseline, lag_weeks=lag)
    spans = (w.recent_successes, w.recent_trials, w.baseline_successes, w.baseline_trials)
    assert all(s.end < current_start for s in spans)
    assert all(s.start.weekday() == current_start.weekday() for s in spans)  # whole weeks only
    assert w.recent_successes.end == current_start - timedelta(days=1)
    assert w.baseline_successes.end == w.recent_successes.start - timedelta(days=1)
    assert w.recent_trials.end == w.recent_successes.end - timedelta(weeks=lag)
    assert (w.recent_successes.weeks, w.baseline_successes.weeks) == (recent, baseline)
