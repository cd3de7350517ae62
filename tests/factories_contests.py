"""Contest scenarios built by hand: a week in October 2026 with no public holidays in play.

Mon 2026-10-19 … Fri 2026-10-23 is "this week"; at Wednesday's close of
business 3 of 5 working days have elapsed, so f = 0.6 for everyone.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from scorecard.settings import TeamSettings, load_settings, save_settings
from scorecard.store import Store
from tests.factories import add_activity, add_rep

MONDAY = date(2026, 10, 19)
WED_CLOSE = datetime(2026, 10, 21, 17, 0)


def no_holidays(store: Store, **changes: object) -> TeamSettings:
    settings = dataclasses.replace(load_settings(store), holiday_country=None, **changes)  # type: ignore[arg-type]
    save_settings(store, settings)
    return settings


def day(offset: int, hour: int = 10, monday: date = MONDAY) -> datetime:
    """A moment `offset` days after `monday` (0 = Monday), at `hour`."""
    return datetime.combine(monday + timedelta(days=offset), datetime.min.time()).replace(hour=hour)


def spread(store: Store, rep_id: int, counts: dict[str, int], days: int = 3, monday: date = MONDAY) -> None:
    """`counts` of each metric spread over the first `days` days of the week of `monday`."""
    events: list[tuple[datetime, str]] = []
    for metric, n in counts.items():
        events.extend((day(i % days, 9 + i % 7, monday), metric) for i in range(n))
    if events:
        add_activity(store, rep_id, events)


def team(store: Store, names: list[str]) -> dict[str, int]:
    return {name: add_rep(store, name) for name in names}


# On pace at Wednesday's close for the default goals (conversations 8, meetings 4,
# opportunities 2, proposals 1 → expected 4.8, 2.4, 1.2, 0.6).
ON_PACE = {"conversations": 5, "meetings": 3, "opportunities": 2, "proposals": 1}


def weeks_of(store: Store, rep_id: int, counts: dict[str, int], weeks_back: range, days: int = 5) -> None:
    """The same weekly `counts` in each completed week `weeks_back` (1 = last week), as one batch."""
    events: list[tuple[datetime, str]] = []
    for back in weeks_back:
        monday = MONDAY - timedelta(weeks=back)
        for metric, n in counts.items():
            events.extend((day(i % days, 9 + i % 7, monday), metric) for i in range(n))
    if events:
        add_activity(store, rep_id, events)


# A team whose conversion to meetings fell over the last four completed weeks while
# its conversations held steady: 50% of conversations became meetings in the 13
# weeks before (weeks 5–17 back), 20% in the last 4.
USUAL_WEEK = {"conversations": 10, "meetings": 5, "opportunities": 2, "proposals": 1}
SLIPPED_WEEK = {"conversations": 10, "meetings": 2, "opportunities": 2, "proposals": 1}


def conversion_slipped(store: Store, names: list[str]) -> dict[str, int]:
    """`names` as reps with 13 usual weeks, then 4 weeks of slipped conversion, and nothing this week yet."""
    reps = team(store, names)
    for rep in reps.values():
        weeks_of(store, rep, USUAL_WEEK, range(5, 18))
        weeks_of(store, rep, SLIPPED_WEEK, range(1, 5))
    return reps
