"""Hand-computed pace cases (docs/pace.md, with the prorated period goal).

Default settings: Monday weeks, Mon–Fri 09:00–17:00 (8 h a day, 40 h a
week), US public holidays. The week of Monday 2026-10-19 has no holiday.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scorecard.catalog import load_catalog
from scorecard.goals import GoalChange, add_pto, set_goals
from scorecard.scores import MetricScore, rep_scorecard
from scorecard.settings import TeamSettings, save_settings
from scorecard.store import Store
from tests.factories import add_activity, add_counts, add_rep

MON = date(2026, 10, 19)


def by_metric(store: Store, slug: str, as_of: datetime) -> dict[str, MetricScore]:
    sc = rep_scorecard(store, slug, as_of)
    return {m.metric: m for m in sc.metrics}


def test_mid_week(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    set_goals(store, load_catalog(store), [GoalChange(ana, "conversations", 10, date(2026, 1, 1))])
    add_activity(
        store,
        ana,
        [
            (datetime(2026, 10, 19, 10), "meetings"),
            (datetime(2026, 10, 20, 11), "meetings"),
            (datetime(2026, 10, 21, 10), "meetings"),
        ],
    )
    add_counts(store, ana, datetime(2026, 10, 20, 15), {"conversations": 4, "opportunities": 1})
    # Wed 13:00: Mon 8 h + Tue 8 h + Wed 4 h = 20 of 40 h -> f = 0.5
    m = by_metric(store, "ana-lopez", datetime(2026, 10, 21, 13))
    meetings = m["meetings"]
    assert (meetings.actual, meetings.goal, meetings.expected_to_date) == (3, 4, 2)
    assert meetings.pace == pytest.approx(1.5)
    assert meetings.projected == pytest.approx(6)
    assert meetings.status == "on_pace"
    assert meetings.summary == "3 of 4 meetings · 150% of pace"
    conv = m["conversations"]
    # goal 10 -> expected 5; 4 / 5 = 0.8 is exactly the at-risk threshold
    assert (conv.actual, conv.expected_to_date, conv.status) == (4, 5, "at_risk")
    assert conv.pace == pytest.approx(0.8)
    assert m["opportunities"].status == "on_pace"  # 1 of expected 1
    proposals = m["proposals"]  # 0 of expected 0.5
    assert (proposals.pace, proposals.status) == (0, "behind")
    calls = m["calls"]  # vanity: tracked (connected calls count), no goal
    assert (calls.actual, calls.goal, calls.pace, calls.status) == (4, None, None, None)


def test_after_close_of_business(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_counts(store, ana, datetime(2026, 10, 20, 10), {"meetings": 3})
    # Wed 18:30: Wednesday is whole at 17:00 -> 24 of 40 h, f = 0.6
    meetings = by_metric(store, "ana-lopez", datetime(2026, 10, 21, 18, 30))["meetings"]
    assert meetings.expected_to_date == pytest.approx(2.4)
    assert meetings.pace == pytest.approx(3 / 2.4)
    assert meetings.projected == pytest.approx(5)


def test_thanksgiving_week_prorates_the_goal(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_counts(store, ana, datetime(2026, 11, 24, 10), {"meetings": 2})
    # Thu 2026-11-26 is a holiday: 32 h available, goal 4 x 32/40 = 3.2.
    # Wed 17:00: 24 h elapsed, f = 0.75, expected 2.4, pace 2 / 2.4.
    sc = rep_scorecard(store, "ana-lopez", datetime(2026, 11, 25, 17))
    assert sc.working_time.available_hours == 32
    assert sc.working_time.fraction == pytest.approx(0.75)
    meetings = next(m for m in sc.metrics if m.metric == "meetings")
    assert meetings.weekly_goal == 4
    assert meetings.goal == pytest.approx(3.2)
    assert meetings.expected_to_date == pytest.approx(2.4)
    assert meetings.pace == pytest.approx(2 / 2.4)
    assert meetings.status == "at_risk"
    assert meetings.summary == "2 of 3.2 meetings · 83% of pace"


def test_two_days_of_pto(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_pto(store, ana, [date(2026, 10, 19), date(2026, 10, 20)])
    add_counts(store, ana, datetime(2026, 10, 21, 10), {"meetings": 1})
    # 24 h available (goal 4 x 0.6 = 2.4); Wed 13:00 -> 4 h elapsed, f = 1/6, expected 0.4
    sc = rep_scorecard(store, "ana-lopez", datetime(2026, 10, 21, 13))
    meetings = next(m for m in sc.metrics if m.metric == "meetings")
    assert meetings.goal == pytest.approx(2.4)
    assert meetings.expected_to_date == pytest.approx(0.4)
    assert meetings.pace == pytest.approx(2.5)
    assert meetings.projected == pytest.approx(6)


def test_pto_all_week_is_never_behind(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_pto(store, ana, [date(2026, 10, 19 + i) for i in range(5)])
    sc = rep_scorecard(store, "ana-lopez", datetime(2026, 10, 21, 13))
    meetings = next(m for m in sc.metrics if m.metric == "meetings")
    assert (meetings.goal, meetings.expected_to_date, meetings.pace, meetings.status) == (0, 0, None, None)
    assert meetings.summary == "0 of 0 meetings · on PTO all week"
    assert sc.one_thing is None


def test_custom_week_start_sunday(store: Store) -> None:
    save_settings(store, TeamSettings(week_start=6, working_days=(6, 0, 1, 2, 3), holiday_country=None))
    ana = add_rep(store, "Ana Lopez")
    add_counts(store, ana, datetime(2026, 10, 17, 10), {"meetings": 1})  # Saturday: the week before
    add_counts(store, ana, datetime(2026, 10, 18, 10), {"meetings": 1})  # Sunday: first day of this week
    # Mon 13:00: Sun 8 h + Mon 4 h = 12 of 40 h, f = 0.3, expected 1.2
    sc = rep_scorecard(store, "ana-lopez", datetime(2026, 10, 19, 13))
    assert (sc.period.start, sc.period.end) == (date(2026, 10, 18), date(2026, 10, 24))
    meetings = next(m for m in sc.metrics if m.metric == "meetings")
    assert meetings.actual == 1
    assert meetings.expected_to_date == pytest.approx(1.2)
    assert meetings.pace == pytest.approx(1 / 1.2)
    assert sc.one_thing is not None and "by Thursday" in sc.one_thing.reason


def test_first_hour_of_the_week_pace_is_undefined(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_counts(store, ana, datetime(2026, 10, 19, 0, 10), {"meetings": 1})
    sc = rep_scorecard(store, "ana-lopez", datetime(2026, 10, 19, 0, 30))
    assert sc.working_time.fraction == 0
    meetings = next(m for m in sc.metrics if m.metric == "meetings")
    assert (meetings.actual, meetings.expected_to_date, meetings.pace, meetings.projected, meetings.status) == (
        1,
        0,
        None,
        None,
        None,
    )
    assert meetings.summary == "1 of 4 meetings · pace not started yet"
    # Nothing is behind yet: the one thing is the biggest valued remainder, without "on pace" praise.
    assert sc.one_thing is not None
    assert sc.one_thing.reason == "8 more conversations by Friday keeps your pipeline on track"


def test_events_after_as_of_do_not_count(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_activity(
        store,
        ana,
        [
            (datetime(2026, 10, 20, 16), "meetings"),
            (datetime(2026, 10, 21, 12, 59), "meetings"),
            (datetime(2026, 10, 21, 13, 0, 1), "meetings"),  # a second after as_of
            (datetime(2026, 10, 22, 10), "meetings"),  # tomorrow
        ],
    )
    meetings = by_metric(store, "ana-lopez", datetime(2026, 10, 21, 13))["meetings"]
    assert meetings.actual == 2
    assert by_metric(store, "ana-lopez", datetime(2026, 10, 21, 13, 0, 1))["meetings"].actual == 3


def test_todays_events_are_mapped_like_rollups(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_counts(store, ana, datetime(2026, 10, 21, 10), {"conversations": 2, "calls": 3})
    add_activity(store, ana, [(datetime(2026, 10, 21, 11), "deals_won", 1500.0)])
    today = by_metric(store, "ana-lopez", datetime(2026, 10, 21, 13))  # from events
    later = by_metric(store, "ana-lopez", datetime(2026, 10, 22, 13))  # from rollups
    for m in (today, later):
        assert (m["conversations"].actual, m["calls"].actual) == (2, 5)
        assert (m["deals_won"].actual, m["revenue_won"].actual) == (1, 1500)


def test_goal_changed_mid_history_keeps_old_weeks(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    set_goals(store, load_catalog(store), [GoalChange(ana, "meetings", 6, date(2026, 10, 21))])  # a Wednesday
    add_counts(store, ana, datetime(2026, 10, 5, 10), {"meetings": 5})
    sc = rep_scorecard(store, "ana-lopez", datetime(2026, 10, 21, 13))
    meetings = next(m for m in sc.metrics if m.metric == "meetings")
    assert meetings.weekly_goal == 6  # in force for the week it was set in
    trend = {
        row["week_start"]: row
        for row in sc.weekly_trend.filter(sc.weekly_trend["metric"] == "meetings").iter_rows(named=True)
    }
    assert trend[date(2026, 10, 5)]["goal"] == 4  # older week keeps the old goal
    assert trend[date(2026, 10, 5)]["actual"] == 5
    assert trend[date(2026, 10, 5)]["pct_of_goal"] == pytest.approx(1.25)
    assert trend[date(2026, 10, 12)]["goal"] == pytest.approx(3.2)  # Columbus Day week, old goal prorated
    assert trend[date(2026, 10, 19)]["goal"] == 6
    assert len(meetings.trend) == 12 and meetings.trend[-3] == 5


def test_streak_counts_completed_weeks_on_goal(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_counts(store, ana, datetime(2026, 9, 21, 10), {"meetings": 1})  # missed
    for monday in (date(2026, 9, 28), date(2026, 10, 5), date(2026, 10, 12)):
        add_counts(store, ana, datetime.combine(monday, datetime.min.time()).replace(hour=10), {"meetings": 4})
    meetings = by_metric(store, "ana-lopez", datetime(2026, 10, 21, 13))["meetings"]
    assert meetings.streak_weeks == 3


def test_team_median_and_percentile(store: Store) -> None:
    reps = [add_rep(store, n) for n in ("Ana Lopez", "Bo Chen", "Cy Diaz", "Di Evans")]
    for rep_id, n in zip(reps, (1, 2, 3, 5), strict=True):
        add_counts(store, rep_id, datetime(2026, 10, 20, 10), {"meetings": n})
    add_rep(store, "Other Team", team="East")
    meetings = by_metric(store, "cy-diaz", datetime(2026, 10, 21, 13))["meetings"]
    assert meetings.team_median == 2.5
    assert meetings.percentile == 75  # 3 of 4 at or below 3


def test_unknown_rep_raises(store: Store) -> None:
    from scorecard.scores import UnknownRep

    add_rep(store, "Ana Lopez")
    with pytest.raises(UnknownRep, match="nobody"):
        rep_scorecard(store, "nobody", datetime(2026, 10, 21, 13))


def test_new_data_shows_at_once_despite_caches(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_counts(store, ana, datetime(2026, 10, 20, 10), {"meetings": 1})
    assert by_metric(store, "ana-lopez", datetime(2026, 10, 21, 13))["meetings"].actual == 1
    add_counts(store, ana, datetime(2026, 10, 20, 11), {"meetings": 2})  # yesterday: a rollup change
    add_counts(store, ana, datetime(2026, 10, 21, 9), {"meetings": 1})  # today: an event
    assert by_metric(store, "ana-lopez", datetime(2026, 10, 21, 13))["meetings"].actual == 4
    # The next day: yesterday's events now come from rollups.
    assert by_metric(store, "ana-lopez", datetime(2026, 10, 22, 8))["meetings"].actual == 4


def test_inactive_rep_still_has_a_scorecard(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_rep(store, "Bo Chen")
    add_counts(store, ana, datetime(2026, 10, 5, 10), {"meetings": 4})
    add_counts(store, ana, datetime(2026, 10, 20, 10), {"meetings": 1})
    add_counts(store, ana, datetime(2026, 10, 21, 10), {"meetings": 1})
    with store.write() as cur:
        cur.execute("UPDATE reps SET active = false WHERE rep_id = ?", [ana])
    sc = rep_scorecard(store, "ana-lopez", datetime(2026, 10, 21, 13))
    meetings = next(m for m in sc.metrics if m.metric == "meetings")
    assert meetings.actual == 2
    assert meetings.trend[-3] == 4
    assert meetings.team_median == 1  # Ana 2, Bo 0
