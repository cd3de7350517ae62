"""Helpers for score tests: goals narrowed to one metric, whole weeks of activity."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from scorecard.catalog import load_catalog
from scorecard.goals import GoalChange, set_goals
from scorecard.store import Store
from tests.factories import add_counts

LONG_AGO = date(2020, 1, 6)


def only_goal(store: Store, rep_ids: Iterable[int], metric: str, weekly_goal: float, since: date = LONG_AGO) -> None:
    """Give reps a goal for `metric` alone: every other default goal is switched off."""
    catalog = load_catalog(store)
    changes = []
    for rep_id in rep_ids:
        for m in catalog.metrics.values():
            if m.key == metric:
                changes.append(GoalChange(rep_id, m.key, weekly_goal, since))
            elif m.default_weekly_goal is not None:
                changes.append(GoalChange(rep_id, m.key, None, since))
    set_goals(store, catalog, changes)


def week_counts(store: Store, rep_id: int, monday: date, counts: dict[str, int]) -> None:
    """`counts` logged on the Monday of a week at 10:00 (a completed week's totals)."""
    if any(counts.values()):
        add_counts(store, rep_id, datetime.combine(monday, datetime.min.time()) + timedelta(hours=10), counts)
