"""Does coaching work? Before and after each flagged-and-coached metric, against the rest of the team."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scorecard import coaching
from scorecard.store import Store
from tests.factories_coaching import ONE_ON_ONE_BACK, WEEK_END, coached_team, monday


def test_one_case_measured_with_counts_and_too_few_to_conclude(store: Store) -> None:
    coached_team(store, ("Chloe",))
    impact = coaching.coaching_impact(store, WEEK_END)
    [case] = impact.cases
    assert (case.rep.display_name, case.metric, case.one_on_one) == ("Chloe", "conversations", monday(ONE_ON_ONE_BACK) + timedelta(days=2))
    assert (case.before.actual, case.before.goal, case.before.weeks) == (16.0, 32.0, 4)
    assert (case.after.actual, case.after.goal) == (32.0, 32.0)
    assert (case.team_before.actual, case.team_before.goal, case.team_before.weeks) == (64.0, 64.0, 8)
    assert case.teammates == 2
    assert (case.rep_change, case.team_change, case.net) == (pytest.approx(0.5), 0.0, pytest.approx(0.5))
    assert "50% (16 of 32.0 over 4 weeks) in the 4 weeks before" in case.text
    assert not impact.enough
    assert impact.conclusion.startswith("Too few cases to conclude anything: 1 coached flag")


def test_flagged_teammates_left_uncoached_show_how_much_is_a_bounce(store: Store) -> None:
    coached_team(store, ("Chloe",), uncoached={"Emma": {"conversations": 6, "meetings": 3}})
    [case] = coaching.coaching_impact(store, WEEK_END).cases
    assert case.uncoached == 1
    assert (case.uncoached_before.actual, case.uncoached_after.actual) == (16.0, 24.0)
    assert case.uncoached_change == pytest.approx(0.25)  # Emma recovered halfway on her own
    assert case.rep_change == pytest.approx(0.5)
    assert "Flagged that day but not coached on it (1 reps): 50% (16 of 32.0 over 4 weeks) before" in case.text


def test_the_caution_names_the_bounce_once_there_are_enough_cases(store: Store) -> None:
    coached_team(
        store,
        ("Chloe", "Emma", "Finn"),
        addressed=("conversations", "meetings"),
        uncoached={"Gus": {"conversations": 6, "meetings": 3}},
    )
    impact = coaching.coaching_impact(store, WEEK_END)
    assert impact.enough
    assert "teammates flagged the same day but not coached moved +25 points over the same weeks" in impact.conclusion
    assert "the coached reps +50." in impact.conclusion


def test_a_case_waits_until_its_four_weeks_after_are_over(store: Store) -> None:
    coached_team(store, ("Chloe",))
    early = coaching.coaching_impact(store, WEEK_END - timedelta(weeks=1, seconds=1))
    assert early.cases == []
    [waiting] = early.waiting
    assert waiting.ready_on == monday(0)  # the Monday after the fourth week
    assert "1 more can be measured" in early.conclusion


def test_a_metric_the_rep_was_not_flagged_on_is_not_a_case(store: Store) -> None:
    coached_team(store, ("Chloe",), addressed=("conversations", "proposals"))
    # Chloe had no proposals (goal 1) for weeks: flagged on them too. Ana was on goal on
    # conversations: a 1:1 with her about them is not a coached flag.
    reps = {p.display_name: p.rep_id for p in coaching.people(store).values()}
    coaching.record_one_on_one(store, reps["Ana"], monday(ONE_ON_ONE_BACK), "fine", addressed=("conversations",))
    impact = coaching.coaching_impact(store, WEEK_END)
    assert sorted((c.rep.display_name, c.metric) for c in impact.cases) == [("Chloe", "conversations"), ("Chloe", "proposals")]


def test_enough_cases_that_beat_the_team_say_so_with_a_caution(store: Store) -> None:
    coached_team(store, ("Chloe", "Emma", "Finn"), addressed=("conversations", "meetings"))
    impact = coaching.coaching_impact(store, WEEK_END)
    assert len(impact.cases) == 6 and impact.enough
    # Each rose 50 points; the rest of their team (two steady, two coached) rose 25.
    assert all((c.rep_change, c.team_change) == (pytest.approx(0.5), pytest.approx(0.25)) for c in impact.cases)
    assert impact.conclusion.startswith("In 6 of 6 cases the coached rep's pace rose more than the rest of the team's")
    assert "+25 points on average" in impact.conclusion
    assert "recover somewhat anyway" in impact.conclusion


def test_coached_reps_who_rise_no_more_than_the_team_are_not_credited(store: Store) -> None:
    coached_team(
        store,
        ("Chloe", "Emma", "Finn"),
        addressed=("conversations", "meetings"),
        after={"conversations": 5, "meetings": 2},  # a little up from the slump
        steady_after={"conversations": 12, "meetings": 6},  # while the rest of the team rose a lot
    )
    impact = coaching.coaching_impact(store, WEEK_END)
    assert impact.enough
    assert all((c.net or 0) < 0 for c in impact.cases)
    assert impact.conclusion.startswith("Coached reps did not improve more than the team: only 0 of 6")


def test_nothing_logged_says_how_to_start(store: Store) -> None:
    impact = coaching.coaching_impact(store, WEEK_END)
    assert impact.cases == [] and impact.waiting == []
    assert impact.conclusion.startswith("Nothing to measure yet")
