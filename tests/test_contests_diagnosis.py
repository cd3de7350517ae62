"""Every count team gap gets a contest; a tested ratio diagnosis shapes it, never replaces it.

The week in progress is Mon 2026-10-19 … Fri 2026-10-23, seen from Wednesday's
close (f = 0.6). Completed weeks: the last 4 are Sep 21 – Oct 18, the 13
before them Jun 22 – Sep 20.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from scorecard.catalog import load_catalog, shipped_catalog
from scorecard.contests import (
    contest_eligible,
    gap_actions,
    get_contest,
    launch_contest,
    suggest_contests,
    suggestion_to_json,
)
from scorecard.contests._data import reps_in_scope
from scorecard.contests.diagnosis import RatioCheck, check_ratio, check_ratios
from scorecard.contests.lifecycle import current_contests
from scorecard.goals import GoalChange, set_goals
from scorecard.scores import team_view
from scorecard.settings import load_settings
from scorecard.store import Store
from tests.factories import add_activity
from tests.factories_contests import (
    MONDAY,
    ON_PACE,
    USUAL_WEEK,
    WED_CLOSE,
    conversion_slipped,
    day,
    no_holidays,
    spread,
    team,
    weeks_of,
)

NAMES = ["Ana", "Ben", "Cy", "Dee"]
BEHIND_ON_MEETINGS = {**ON_PACE, "meetings": 1}
RECENT = "20% (32 of 160 conversations → meetings) over the last 4 completed weeks (Sep 21 – Oct 18)"
USUAL = "50% (260 of 520) over the 13 weeks before"


def _checks(store: Store, gaps: list[str] | None = None) -> dict[str, RatioCheck]:
    ids = [r.rep_id for r in reps_in_scope(store, None)]
    found = check_ratios(store, load_catalog(store), load_settings(store), WED_CLOSE, ids, gaps or [])
    return {c.ratio.key: c for c in found}


# -- the diagnosis shapes the contest --------------------------------------------------------------


def test_conversion_fell_so_the_meetings_contest_rewards_converting(store: Store) -> None:
    no_holidays(store)
    for rep in conversion_slipped(store, NAMES).values():
        spread(store, rep, BEHIND_ON_MEETINGS)

    [s] = suggest_contests(store, WED_CLOSE)

    coaching = load_catalog(store).ratios["conversation_to_meeting"].coaching
    assert (s.metric, s.format, s.focus) == ("meetings", "threshold", "conversion")
    assert s.converted == "meetings booked from conversations"
    assert s.skills_session == coaching
    # Sized exactly as any meetings contest: Σ goals 16 − Σ projected (4 ÷ 0.6) = 9.33 → 10.
    assert s.target == 10 and {r.target for r in s.rep_targets} == {3.0}
    [claim] = s.evidence
    assert RECENT in claim and USUAL in claim and "p < 0.001" in claim
    assert RECENT in s.rationale and "more conversations alone earn nothing" in s.rationale
    text = "\n".join(s.arithmetic)
    assert "Budget: " in text and RECENT in text
    assert "Conversations meanwhile: 40 a week recently against 40 a week before (100% of usual)." in text
    assert "at the usual 50%, the 40 conversations a week" in text and "about 20 meetings a week, not the 8" in text
    assert "What counts: meetings booked from conversations" in s.announcement
    assert "more dials alone earn nothing" in s.announcement
    assert f"Skills session on Thu Oct 22, before we start: {coaching}" in s.announcement
    assert "Everyone who reaches" in s.announcement  # still an open threshold, never winner-take-all
    data = suggestion_to_json(s)
    assert (data["focus"], data["skills_session"], data["evidence"]) == ("conversion", coaching, [claim])


def test_a_ratio_fall_with_no_count_gap_gets_coaching(store: Store) -> None:
    no_holidays(store)
    for rep in conversion_slipped(store, NAMES).values():
        spread(store, rep, ON_PACE)  # meetings on pace this week: no count gap

    [s] = suggest_contests(store, WED_CLOSE)

    ratio = load_catalog(store).ratios["conversation_to_meeting"]
    assert (s.metric, s.format) == ("conversation_to_meeting", "coaching")
    assert s.budget == 0 and s.rep_targets == () and s.target == 0
    assert ratio.coaching in s.announcement and s.skills_session == ratio.coaching
    assert RECENT in s.rationale and USUAL in s.rationale
    assert any(RECENT in line for line in s.arithmetic)
    assert "not a team gap this week" in s.rationale


def test_volume_that_fell_too_is_not_a_conversion_gap(store: Store) -> None:
    no_holidays(store)
    reps = team(store, NAMES)
    for rep in reps.values():
        weeks_of(store, rep, USUAL_WEEK, range(5, 18))
        weeks_of(store, rep, {"conversations": 6, "meetings": 1, "opportunities": 2, "proposals": 1}, range(1, 5))
        spread(store, rep, BEHIND_ON_MEETINGS)

    check = _checks(store)["conversation_to_meeting"]
    assert check.fell and not check.volume_normal
    [s] = suggest_contests(store, WED_CLOSE)
    assert (s.metric, s.focus, s.evidence, s.skills_session) == ("meetings", "volume", (), "")


# -- the week in progress is never evidence ------------------------------------------------------


def test_in_week_activity_never_enters_the_diagnosis(store: Store) -> None:
    no_holidays(store)
    reps = team(store, NAMES)
    for rep in reps.values():
        weeks_of(store, rep, USUAL_WEEK, range(1, 18))
    before = _checks(store)

    # This week: plenty of conversations, hardly a meeting (17% in-week). Not evidence of anything.
    for rep in reps.values():
        spread(store, rep, {**BEHIND_ON_MEETINGS, "conversations": 6})
        add_activity(store, rep, [(day(2, 16), "conversations")] * 20)
    after = _checks(store)

    for key, check in before.items():
        assert after[key].comparison == check.comparison, key
    steady = after["conversation_to_meeting"].comparison
    assert steady.verdict == "no_change" and (steady.recent.trials, steady.baseline.trials) == (160, 520)
    [s] = suggest_contests(store, WED_CLOSE)
    assert (s.metric, s.format, s.focus, s.evidence) == ("meetings", "threshold", "volume", ())


def test_too_little_volume_means_not_enough_data_and_no_claim(store: Store) -> None:
    no_holidays(store)
    reps = team(store, ["Ana", "Ben"])
    for rep in reps.values():
        # 2 meetings from 3 conversations, then none at all: dramatic, and only 24 conversations.
        weeks_of(store, rep, {"conversations": 3, "meetings": 2}, range(5, 18))
        weeks_of(store, rep, {"conversations": 3}, range(1, 5))
        spread(store, rep, BEHIND_ON_MEETINGS)

    check = _checks(store)["conversation_to_meeting"]
    assert check.comparison.verdict == "not_enough_data"
    assert "Not enough data for a claim: 24 conversations" in check.comparison.text
    assert "at least 40 in each window" in check.comparison.text
    [s] = suggest_contests(store, WED_CLOSE)
    assert (s.metric, s.focus, s.evidence) == ("meetings", "volume", ())
    assert "%" not in s.rationale.split("of pace")[1]  # no conversion rate is claimed


def test_a_lagged_ratio_counts_outcomes_weeks_after_the_activity(store: Store) -> None:
    """Win rate: deals in the last 8 completed weeks over the proposals sent 4 weeks before each."""
    no_holidays(store)
    [rep] = team(store, ["Ana"]).values()
    weeks_of(store, rep, {"proposals": 5}, range(5, 13))  # the proposals behind the recent deals
    weeks_of(store, rep, {"deals_won": 1}, range(1, 9))  # 8 deals from 40 proposals: 20%
    weeks_of(store, rep, {"proposals": 5}, range(13, 26))  # behind the usual deals
    weeks_of(store, rep, {"deals_won": 2}, range(9, 22))  # 26 deals from 65 proposals: 40%
    # Activity outside every window, and this week's, is never counted.
    weeks_of(store, rep, {"proposals": 9, "deals_won": 9}, range(26, 28))
    spread(store, rep, {"proposals": 7, "deals_won": 0})

    catalog, settings = load_catalog(store), load_settings(store)
    ratio = catalog.ratios["proposal_to_won"]
    assert (ratio.lag_weeks, ratio.recent_weeks, ratio.baseline_weeks) == (4, 8, 13)  # data, from metrics.toml
    check = check_ratio(store, catalog, settings, ratio, WED_CLOSE, [rep], [])
    assert check is not None
    c = check.comparison
    assert (c.recent.successes, c.recent.trials, c.baseline.successes, c.baseline.trials) == (8, 40, 26, 65)
    assert "deals Aug 24 – Oct 18, from the proposals 4 weeks before" in c.text
    # The same counts without the lag would pair each deal with the wrong proposals.
    unlagged = check_ratio(store, catalog, settings, dataclasses.replace(ratio, lag_weeks=0), WED_CLOSE, [rep], [])
    assert unlagged is not None
    assert (unlagged.comparison.recent.trials, unlagged.comparison.baseline.trials) == (20, 65)


# -- every count gap gets a suggestion -------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(shipped_catalog().metrics))
def test_contest_eligible_means_a_count_that_is_not_vanity(key: str) -> None:
    metric = shipped_catalog().metrics[key]
    assert contest_eligible(metric) == (metric.measure == "count" and not metric.vanity)
    if key == "calls":
        assert not contest_eligible(metric)


def test_every_count_team_gap_gets_a_suggestion_and_calls_never(store: Store) -> None:
    no_holidays(store)
    reps = team(store, ["Ana", "Ben", "Cy"])
    catalog = load_catalog(store)
    extra = {"calls": 100.0, "deals_won": 2.0, "revenue_won": 10_000.0}
    set_goals(store, catalog, [GoalChange(r, m, g, MONDAY) for r in reps.values() for m, g in extra.items()])
    for rep in reps.values():
        spread(store, rep, {"conversations": 1, "meetings": 1})  # behind on everything

    view = {m.metric: m for m in team_view(store, WED_CLOSE).metrics}
    assert {k for k, m in view.items() if m.is_team_gap} == set(catalog.metrics) - {"calls"}
    assert (view["calls"].team_pace or 0) < 0.1  # far behind on calls too, yet never a team gap

    suggestions = suggest_contests(store, WED_CLOSE)

    counted = {k for k, m in catalog.metrics.items() if m.measure == "count" and not m.vanity}
    assert {s.metric for s in suggestions} == counted  # revenue (an amount) and calls (vanity) get none
    assert counted == {"conversations", "meetings", "opportunities", "proposals", "deals_won"}
    assert all(s.format != "coaching" and s.rep_targets for s in suggestions)


def test_one_contest_per_metric_even_when_conversion_fell(store: Store) -> None:
    no_holidays(store)
    for rep in conversion_slipped(store, NAMES).values():
        spread(store, rep, BEHIND_ON_MEETINGS)
    [s] = suggest_contests(store, WED_CLOSE)
    launch_contest(store, s, WED_CLOSE)
    rules = get_contest(store, 1).rules  # what it rewards is kept with the rules it launched under
    assert (rules["focus"], rules["converted"], rules["skills_session"]) == (
        "conversion",
        "meetings booked from conversations",
        s.skills_session,
    )

    thursday = WED_CLOSE + timedelta(hours=19)
    assert suggest_contests(store, thursday) == []  # the running contest already carries the diagnosis
    view = team_view(store, thursday)
    [action] = gap_actions(view.metrics, [], current_contests(store, thursday), load_catalog(store))
    assert action.kind == "running" and "already on (#1, until Fri Oct 23)" in action.text


# -- the Team page's words come from the same suggestions ------------------------------------------


def test_gap_actions_word_each_gap_from_the_suggestions(store: Store) -> None:
    no_holidays(store)
    catalog = load_catalog(store)
    for rep in conversion_slipped(store, NAMES).values():
        spread(store, rep, BEHIND_ON_MEETINGS)
    suggestions = suggest_contests(store, WED_CLOSE)
    view = team_view(store, WED_CLOSE)

    [meetings] = [m for m in view.metrics if m.is_team_gap]
    # Calls are never a team gap in the team view; were one passed in, it still gets no contest.
    calls = dataclasses.replace(meetings, metric="calls", label="Calls")
    actions = {a.key: a for a in gap_actions([meetings, calls], suggestions, [], catalog)}

    assert actions["meetings"].kind == "contest"
    assert (
        "the Contests page suggests a meetings contest that rewards meetings booked from conversations, "
        "with a skills session attached"
    ) in actions["meetings"].text
    assert actions["calls"].kind == "vanity" and "never gets a contest" in actions["calls"].text
    # Were the same gap left without a suggestion, the words would not claim one.
    [bare] = gap_actions([m for m in view.metrics if m.metric == "meetings"], [], [], catalog)
    assert bare.kind == "no_window" and "suggests" not in bare.text


def test_gap_actions_name_a_coaching_action(store: Store) -> None:
    no_holidays(store)
    for rep in conversion_slipped(store, NAMES).values():
        spread(store, rep, ON_PACE)
    suggestions = suggest_contests(store, WED_CLOSE)
    [action] = gap_actions(team_view(store, WED_CLOSE).metrics, suggestions, [], load_catalog(store))
    assert (action.key, action.kind) == ("conversation_to_meeting", "coaching")
    assert "coaching action, not a contest" in action.text


def test_replayed_moment_gives_the_same_answer(store: Store) -> None:
    no_holidays(store)
    for rep in conversion_slipped(store, NAMES).values():
        spread(store, rep, BEHIND_ON_MEETINGS)
    first = suggest_contests(store, WED_CLOSE)
    # Activity logged later (Thursday) must not change what Wednesday's close said.
    for rep in reps_in_scope(store, None):
        add_activity(store, rep.rep_id, [(datetime(2026, 10, 22, 11), "meetings")] * 3)
    assert suggest_contests(store, WED_CLOSE) == first
