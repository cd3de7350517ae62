"""The one thing, ratios and value per unit of the personal scorecard."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scorecard.catalog import load_catalog, shipped_catalog
from scorecard.goals import GoalChange, set_goals
from scorecard.scores import rep_scorecard, unit_values
from scorecard.store import Store
from tests.factories import add_activity, add_counts, add_rep

AS_OF = datetime(2026, 10, 21, 13)  # Wed, f = 0.5 in a week without holidays


def _funnel_history(store: Store, rep_id: int) -> None:
    """Week of Oct 5: 100 conversations → 20 meetings → 10 opps → 5 proposals → 2 won at $5,000."""
    add_counts(
        store,
        rep_id,
        datetime(2026, 10, 6, 10),
        {"conversations": 100, "meetings": 20, "opportunities": 10, "proposals": 5},
    )
    add_activity(
        store,
        rep_id,
        [(datetime(2026, 10, 7, 10), "deals_won", 4000.0), (datetime(2026, 10, 8, 10), "deals_won", 6000.0)],
    )


def test_funnel_values_from_the_team_funnel() -> None:
    totals = {
        "conversations": 100.0,
        "meetings": 20.0,
        "opportunities": 10.0,
        "proposals": 5.0,
        "deals_won": 2.0,
        "revenue_won": 10000.0,
    }
    values = unit_values(shipped_catalog(), totals)
    # proposal: 2/5 × 5,000; opp: 5/10 × 2,000; meeting: 10/20 × 1,000; conversation: 20/100 × 500
    assert values["proposals"] == pytest.approx(2000)
    assert values["opportunities"] == pytest.approx(1000)
    assert values["meetings"] == pytest.approx(500)
    assert values["conversations"] == pytest.approx(100)


def test_funnel_values_falls_back_to_funnel_position_without_revenue() -> None:
    values = unit_values(shipped_catalog(), {"conversations": 10.0, "meetings": 3.0})
    assert values["conversations"] < values["meetings"] < values["opportunities"] < values["proposals"]


def test_one_thing_weighs_shortfall_by_value(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    _funnel_history(store, ana)
    add_counts(store, ana, datetime(2026, 10, 20, 10), {"meetings": 2, "opportunities": 1})
    # Expected at f = 0.5: conversations 4 (have 0: short 4 × $100 = $400),
    # proposals 0.5 (have 0: short 0.5 × $2,000 = $1,000) -> proposals win.
    sc = rep_scorecard(store, "ana-lopez", AS_OF)
    assert sc.one_thing is not None
    assert sc.one_thing.metric == "proposals"
    assert sc.one_thing.shortfall == pytest.approx(0.5)
    assert sc.one_thing.value_per_unit == pytest.approx(2000)
    assert sc.one_thing.reason == "1 more proposal by Friday keeps your pipeline on track"
    conversations = next(m for m in sc.metrics if m.metric == "conversations")
    assert conversations.expected_to_date is not None and conversations.expected_to_date - conversations.actual == 4


def test_one_thing_by_raw_shortfall_when_values_are_equal(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    catalog = load_catalog(store)
    set_goals(store, catalog, [GoalChange(ana, "conversations", 40, date(2026, 1, 1))])
    add_counts(store, ana, datetime(2026, 10, 20, 10), {"meetings": 2, "opportunities": 1, "proposals": 1})
    # No revenue: position weighting; conversations short 20 × 1 beats everything else.
    sc = rep_scorecard(store, "ana-lopez", AS_OF)
    assert sc.one_thing is not None and sc.one_thing.metric == "conversations"
    assert sc.one_thing.reason == "40 more conversations by Friday keeps your pipeline on track"


def test_one_thing_when_on_pace_everywhere_is_encouraging(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_counts(
        store, ana, datetime(2026, 10, 20, 10), {"conversations": 6, "meetings": 3, "opportunities": 1, "proposals": 1}
    )
    sc = rep_scorecard(store, "ana-lopez", AS_OF)
    assert all(m.status == "on_pace" for m in sc.metrics if m.weekly_goal)
    assert sc.one_thing is not None
    # Remaining × position: conversations 2 × 1, meetings 1 × 2, opportunities 1 × 3 -> opportunities
    assert sc.one_thing.metric == "opportunities"
    assert sc.one_thing.shortfall == 1
    assert sc.one_thing.reason.startswith("You're on pace: 1 more opportunity by Friday")


def test_one_thing_never_vanity_and_none_without_goals(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    catalog = load_catalog(store)
    changes = [
        GoalChange(ana, m.key, None, date(2026, 1, 1)) for m in catalog.metrics.values() if m.default_weekly_goal
    ]
    changes.append(GoalChange(ana, "calls", 100, date(2026, 1, 1)))
    set_goals(store, catalog, changes)
    sc = rep_scorecard(store, "ana-lopez", AS_OF)
    calls = next(m for m in sc.metrics if m.metric == "calls")
    assert calls.goal == 100 and calls.status == "behind"
    assert sc.one_thing is None


def test_ratios_against_the_team(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    bo = add_rep(store, "Bo Chen")
    add_counts(store, ana, datetime(2026, 10, 6, 10), {"conversations": 10, "meetings": 5})
    add_counts(store, bo, datetime(2026, 10, 6, 10), {"conversations": 30, "meetings": 3})
    add_counts(store, ana, datetime(2026, 10, 20, 10), {"conversations": 10})  # the current week: not in the window
    sc = rep_scorecard(store, "ana-lopez", AS_OF)
    ratio = next(r for r in sc.ratios if r.key == "conversation_to_meeting")
    assert ratio.rep_value == pytest.approx(0.5)
    assert ratio.team_value == pytest.approx(8 / 40)
    win = next(r for r in sc.ratios if r.key == "proposal_to_won")
    assert (win.rep_value, win.team_value) == (None, None)


def test_metrics_in_catalog_order_lead_first(store: Store) -> None:
    add_rep(store, "Ana Lopez")
    sc = rep_scorecard(store, "ana-lopez", AS_OF)
    kinds = [m.kind for m in sc.metrics]
    assert kinds == sorted(kinds, key=lambda k: k != "lead")
    assert [m.metric for m in sc.metrics][:4] == ["conversations", "meetings", "opportunities", "proposals"]


def test_rep_found_by_email_or_name(store: Store) -> None:
    add_rep(store, "Ana Lopez", email="ana@example.com")
    assert rep_scorecard(store, "ANA@example.com", AS_OF).rep.slug == "ana-lopez"
    assert rep_scorecard(store, "ana lopez", AS_OF).rep.slug == "ana-lopez"


def test_month_period_prorates_goal(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_counts(store, ana, datetime(2026, 10, 2, 10), {"meetings": 3})
    sc = rep_scorecard(store, "ana-lopez", AS_OF, period_kind="month")
    # October 2026: 22 weekdays minus Columbus Day = 21 working days -> 4 × 21/5 = 16.8
    meetings = next(m for m in sc.metrics if m.metric == "meetings")
    assert (sc.period.start, sc.period.end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert meetings.goal == pytest.approx(16.8)
    assert meetings.actual == 3
    # Conversations: 33.6 for the month, 21.6 expected by now, nothing done: the biggest valued gap.
    assert sc.one_thing is not None
    assert sc.one_thing.reason == "34 more conversations by Friday, Oct 30 keeps your pipeline on track"


def test_goals_over_many_weeks_match_the_goals_module(store: Store) -> None:
    from scorecard.calendar import last_weeks
    from scorecard.goals import weekly_goals
    from scorecard.scores._context import context
    from scorecard.scores.pace import goals_for

    ana, bo = add_rep(store, "Ana Lopez"), add_rep(store, "Bo Chen")
    catalog = load_catalog(store)
    set_goals(
        store,
        catalog,
        [
            GoalChange(ana, "meetings", 6, date(2026, 10, 7)),
            GoalChange(ana, "calls", 50, date(2026, 9, 1)),
            GoalChange(bo, "conversations", None, date(2026, 10, 14)),
            GoalChange(bo, "conversations", 12, date(2026, 9, 28)),
        ],
    )
    ctx = context(store)
    weeks = last_weeks(date(2026, 10, 21), ctx.settings, 6)
    ours = goals_for(ctx, ctx.reps.get_column("rep_id"), weeks)
    for week in weeks:
        mine = (
            ours.filter(ours["period_start"] == week.start)
            .select("rep_id", "metric", "weekly_goal")
            .sort("rep_id", "metric")
        )
        theirs = (
            weekly_goals(store, catalog, week.end).select("rep_id", "metric", "weekly_goal").sort("rep_id", "metric")
        )
        assert mine.rows() == theirs.rows(), week
