"""Periods, holidays and working time: the denominators of pace, checked by hand.

November 2026: Monday the 16th starts a week; Wednesday the 11th is Veterans
Day and Thursday the 26th is Thanksgiving (US). Business hours 09:00–17:00.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time

import pytest

from scorecard.calendar import (
    Period,
    holiday_names,
    hours_per_day,
    last_weeks,
    parse_as_of,
    period_for,
    standard_week_hours,
    team_holidays,
    team_working_days,
    week_of,
    working_time,
)
from scorecard.settings import TeamSettings

US = TeamSettings()
NO_HOLIDAYS = dataclasses.replace(US, holiday_country=None)
WEEK = week_of(date(2026, 11, 18))  # Mon 16 – Sun 22
THANKSGIVING_WEEK = week_of(date(2026, 11, 26))


# -- periods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week_start", "start", "end"),
    [
        (0, date(2026, 11, 16), date(2026, 11, 22)),  # Monday
        (6, date(2026, 11, 15), date(2026, 11, 21)),  # Sunday
        (2, date(2026, 11, 18), date(2026, 11, 24)),  # Wednesday: the day itself starts the week
        (3, date(2026, 11, 12), date(2026, 11, 18)),  # Thursday: the day is the last of its week
    ],
)
def test_week_of_with_custom_week_start(week_start: int, start: date, end: date) -> None:
    period = week_of(date(2026, 11, 18), week_start)
    assert (period.kind, period.start, period.end) == ("week", start, end)
    assert len(period.days) == 7 and period.contains(date(2026, 11, 18))


def test_period_for_uses_the_team_week_start() -> None:
    sunday_team = dataclasses.replace(US, week_start=6)
    assert period_for("week", date(2026, 11, 18), sunday_team).start == date(2026, 11, 15)


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        (date(2026, 11, 18), date(2026, 11, 1), date(2026, 11, 30), "November 2026"),
        (date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31), "December 2026"),
        (date(2028, 2, 10), date(2028, 2, 1), date(2028, 2, 29), "February 2028"),  # leap year
        (date(2027, 2, 10), date(2027, 2, 1), date(2027, 2, 28), "February 2027"),
    ],
)
def test_month_periods(day: date, start: date, end: date, label: str) -> None:
    period = period_for("month", day, US)
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        (date(2026, 2, 10), date(2026, 1, 1), date(2026, 3, 31), "Q1 2026"),
        (date(2026, 6, 30), date(2026, 4, 1), date(2026, 6, 30), "Q2 2026"),
        (date(2026, 7, 1), date(2026, 7, 1), date(2026, 9, 30), "Q3 2026"),
        (date(2026, 11, 18), date(2026, 10, 1), date(2026, 12, 31), "Q4 2026"),
    ],
)
def test_quarter_periods(day: date, start: date, end: date, label: str) -> None:
    period = period_for("quarter", day, US)
    assert (period.start, period.end, period.label) == (start, end, label)


def test_previous_and_next_cross_year_boundaries() -> None:
    q4 = period_for("quarter", date(2026, 11, 18), US)
    assert q4.next(US) == Period("quarter", date(2027, 1, 1), date(2027, 3, 31))
    january = period_for("month", date(2027, 1, 5), US)
    assert january.previous(US) == Period("month", date(2026, 12, 1), date(2026, 12, 31))
    assert WEEK.next(US).start == date(2026, 11, 23) and WEEK.previous(US).end == date(2026, 11, 15)
    assert WEEK.label == "Week of Nov 16, 2026"


def test_last_weeks_oldest_first() -> None:
    weeks = last_weeks(date(2026, 11, 18), US, 3)
    assert [w.start for w in weeks] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]


# -- holidays ---------------------------------------------------------------------


def test_thanksgiving_is_a_us_holiday() -> None:
    assert date(2026, 11, 26) in team_holidays(US, date(2026, 11, 1), date(2026, 11, 30))
    assert "Thanksgiving" in holiday_names(US, date(2026, 11, 26), date(2026, 11, 26))[date(2026, 11, 26)]
    assert team_working_days(THANKSGIVING_WEEK, US) == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)]
    assert len(team_working_days(THANKSGIVING_WEEK, NO_HOLIDAYS)) == 5


def test_custom_holidays_add_to_public_ones() -> None:
    settings = dataclasses.replace(US, custom_holidays=(date(2026, 11, 27), date(2026, 12, 24)))
    assert [d.day for d in team_working_days(THANKSGIVING_WEEK, settings)] == [23, 24, 25]
    assert holiday_names(settings, date(2026, 11, 27), date(2026, 11, 27)) == {date(2026, 11, 27): "Team holiday"}
    only_custom = dataclasses.replace(NO_HOLIDAYS, custom_holidays=(date(2026, 11, 18),))
    assert team_holidays(only_custom, date(2026, 11, 1), date(2026, 11, 30)) == {date(2026, 11, 18)}


# -- working time -------------------------------------------------------------------


def test_standard_week() -> None:
    assert hours_per_day(US) == 8 and standard_week_hours(US) == 40
    four_days = dataclasses.replace(US, working_days=(0, 1, 2, 3), day_start=time(8), day_end=time(18))
    assert hours_per_day(four_days) == 10 and standard_week_hours(four_days) == 40


@pytest.mark.parametrize(
    ("as_of", "elapsed", "fraction"),
    [
        (datetime(2026, 11, 16, 8, 0), 0, 0.0),  # before the week opens: pace undefined downstream
        (datetime(2026, 11, 16, 9, 0), 0, 0.0),  # the first moment of the week
        (datetime(2026, 11, 16, 10, 30), 1.5, 1.5 / 40),
        (datetime(2026, 11, 18, 13, 0), 20, 0.5),  # Mon + Tue + 4 h of Wednesday
        (datetime(2026, 11, 18, 17, 0), 24, 0.6),  # a day is whole at its close
        (datetime(2026, 11, 18, 21, 0), 24, 0.6),  # after close: nothing more
        (datetime(2026, 11, 21, 12, 0), 40, 1.0),  # Saturday: the week is done
    ],
)
def test_working_time_fraction(as_of: datetime, elapsed: float, fraction: float) -> None:
    wt = working_time(WEEK, as_of, US)
    assert wt.available_hours == 40 and wt.elapsed_hours == pytest.approx(elapsed)
    assert wt.fraction == pytest.approx(fraction) and wt.goal_scale == 1


def test_pto_days_leave_the_denominator() -> None:
    wt = working_time(WEEK, datetime(2026, 11, 18, 13, 0), US, [date(2026, 11, 17), date(2026, 11, 21)])
    assert wt.available_hours == 32  # Saturday PTO changes nothing
    assert wt.elapsed_hours == 12 and wt.fraction == pytest.approx(12 / 32)
    assert wt.goal_scale == pytest.approx(0.8)


def test_pto_all_week_means_no_pace() -> None:
    wt = working_time(WEEK, datetime(2026, 11, 18, 13, 0), US, WEEK.days)
    assert wt.available_hours == 0 and wt.elapsed_hours == 0
    assert wt.fraction is None and wt.goal_scale == 0


def test_holiday_week_carries_less_goal() -> None:
    wt = working_time(THANKSGIVING_WEEK, datetime(2026, 11, 26, 12, 0), US)
    assert wt.available_hours == 32 and wt.elapsed_hours == 24  # Thanksgiving itself never elapses
    assert wt.goal_scale == pytest.approx(0.8) and wt.fraction == pytest.approx(0.75)


def test_month_goal_scale_counts_working_days() -> None:
    november = period_for("month", date(2026, 11, 1), US)
    # 21 weekdays, minus Veterans Day and Thanksgiving = 19 days = 3.8 standard weeks.
    wt = working_time(november, datetime(2026, 11, 30, 17, 0), US)
    assert wt.goal_scale == pytest.approx(3.8) and wt.fraction == 1


def test_custom_week_start_working_time() -> None:
    sunday_team = dataclasses.replace(US, week_start=6)
    week = period_for("week", date(2026, 11, 16), sunday_team)  # Sun 15 – Sat 21
    wt = working_time(week, datetime(2026, 11, 16, 13, 0), sunday_team)
    assert wt.elapsed_hours == 4 and wt.fraction == pytest.approx(0.1)


# -- --as-of ----------------------------------------------------------------------


def test_parse_as_of_date_only_is_end_of_day() -> None:
    assert parse_as_of("2026-11-20", US) == datetime(2026, 11, 20, 23, 59, 59)


def test_parse_as_of_naive_is_team_local() -> None:
    assert parse_as_of(" 2026-11-20T15:00 ", US) == datetime(2026, 11, 20, 15, 0)


def test_parse_as_of_converts_zulu_and_offsets_to_team_zone() -> None:
    assert parse_as_of("2026-11-20T20:00Z", US) == datetime(2026, 11, 20, 15, 0)  # EST = UTC-5
    assert parse_as_of("2026-07-20T20:00Z", US) == datetime(2026, 7, 20, 16, 0)  # EDT = UTC-4
    madrid = dataclasses.replace(US, timezone="Europe/Madrid")
    assert parse_as_of("2026-11-20T15:00+00:00", madrid) == datetime(2026, 11, 20, 16, 0)


def test_parse_as_of_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        parse_as_of("next tuesday", US)
