"""Periods and working time: the denominators of pace.

All datetimes here are naive and in the team's time zone. A rep's working time
in a period is the team's working days, minus public and custom holidays,
minus that rep's PTO, each day lasting the team's business hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

import holidays

from scorecard.settings import TeamSettings

PeriodKind = Literal["week", "month", "quarter"]


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def previous(self, settings: TeamSettings) -> Period:
        return period_for(self.kind, self.start - timedelta(days=1), settings)

    def next(self, settings: TeamSettings) -> Period:
        return period_for(self.kind, self.end + timedelta(days=1), settings)

    @property
    def label(self) -> str:
        if self.kind == "week":
            return f"Week of {self.start:%b} {self.start.day}, {self.start:%Y}"
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        return f"Q{(self.start.month - 1) // 3 + 1} {self.start:%Y}"


def week_of(day: date, week_start: int = 0) -> Period:
    start = day - timedelta(days=(day.weekday() - week_start) % 7)
    return Period("week", start, start + timedelta(days=6))


def period_for(kind: PeriodKind, day: date, settings: TeamSettings) -> Period:
    if kind == "week":
        return week_of(day, settings.week_start)
    if kind == "month":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return Period("month", start, following - timedelta(days=1))
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    following = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return Period("quarter", start, following - timedelta(days=1))


def last_weeks(as_of_day: date, settings: TeamSettings, count: int) -> list[Period]:
    """The `count` weeks ending with the week containing `as_of_day`, oldest first."""
    current = week_of(as_of_day, settings.week_start)
    return [Period("week", current.start - timedelta(weeks=i), current.end - timedelta(weeks=i)) for i in range(count - 1, -1, -1)]


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def holiday_names(settings: TeamSettings, start: date, end: date) -> dict[date, str]:
    names: dict[date, str] = {}
    if settings.holiday_country:
        for year in range(start.year, end.year + 1):
            for day, name in holidays.country_holidays(settings.holiday_country, subdiv=settings.holiday_subdivision, years=year).items():
                if start <= day <= end:
                    names[day] = str(name)
    for day in settings.custom_holidays:
        if start <= day <= end:
            names.setdefault(day, "Team holiday")
    return names


def team_holidays(settings: TeamSettings, start: date, end: date) -> set[date]:
    days: set[date] = set()
    if settings.holiday_country:
        for year in range(start.year, end.year + 1):
            days |= {d for d in _public_holidays(settings.holiday_country, settings.holiday_subdivision, year) if start <= d <= end}
    days |= {d for d in settings.custom_holidays if start <= d <= end}
    return days


def team_working_days(period: Period, settings: TeamSettings) -> list[date]:
    off = team_holidays(settings, period.start, period.end)
    return [d for d in period.days if d.weekday() in settings.working_days and d not in off]


def hours_per_day(settings: TeamSettings) -> float:
    start = datetime.combine(date.min, settings.day_start)
    end = datetime.combine(date.min, settings.day_end)
    return (end - start).total_seconds() / 3600


def standard_week_hours(settings: TeamSettings) -> float:
    """Hours in a full working week with no holidays or PTO: what a weekly goal is for."""
    return len(settings.working_days) * hours_per_day(settings)


@dataclass(frozen=True)
class WorkingTime:
    """A rep's working time in a period, as of a moment."""

    available_hours: float  # in the whole period, after holidays and PTO
    elapsed_hours: float  # of those, elapsed by as_of
    standard_week_hours: float

    @property
    def fraction(self) -> float | None:
        """The elapsed fraction f (docs/pace.md): elapsed ÷ available; None while nothing is available."""
        if self.available_hours <= 0:
            return None
        return self.elapsed_hours / self.available_hours

    @property
    def goal_scale(self) -> float:
        """How much of a weekly goal this period carries for this rep.

        A weekly goal is set for a standard week. A week with a holiday or PTO
        carries proportionally less, and a month carries about 4.3 weeks.
        """
        return self.available_hours / self.standard_week_hours


def day_elapsed_hours(day: date, as_of: datetime, settings: TeamSettings) -> float:
    """Working hours of `day` elapsed by `as_of`; a day is whole at its close of business."""
    open_at = datetime.combine(day, settings.day_start)
    close_at = datetime.combine(day, settings.day_end)
    if as_of <= open_at:
        return 0.0
    if as_of >= close_at:
        return hours_per_day(settings)
    return (as_of - open_at).total_seconds() / 3600


def working_time(period: Period, as_of: datetime, settings: TeamSettings, pto: Iterable[date] = ()) -> WorkingTime:
    pto_days = set(pto)
    days = [d for d in team_working_days(period, settings) if d not in pto_days]
    per_day = hours_per_day(settings)
    return WorkingTime(
        available_hours=len(days) * per_day,
        elapsed_hours=sum(day_elapsed_hours(d, as_of, settings) for d in days),
        standard_week_hours=standard_week_hours(settings),
    )


def to_team_time(moment: datetime, settings: TeamSettings) -> datetime:
    """Naive team-local time: aware datetimes are converted, naive ones are taken as team-local."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(settings.zone).replace(tzinfo=None)


def team_now(settings: TeamSettings) -> datetime:
    return datetime.now(settings.zone).replace(tzinfo=None, microsecond=0)


def parse_as_of(text: str | None, settings: TeamSettings) -> datetime:
    """`--as-of` / `?as_of=`: an ISO date or datetime, naive = team-local; None = now.

    A bare date means the end of that day, so `--as-of 2026-11-20` shows the
    whole of that Friday.
    """
    if not text:
        return team_now(settings)
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.max.time()).replace(microsecond=0)
    return to_team_time(datetime.fromisoformat(text.replace("Z", "+00:00")), settings)
