"""The pace engine's pieces: one status rule, one goal rule, and reads that cover every day once."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from scorecard.calendar import Period, week_of
from scorecard.catalog import load_catalog
from scorecard.goals import GoalChange, set_goals, weekly_goals
from scorecard.scores import pace
from scorecard.scores._context import context
from scorecard.scores._reads import _split
from scorecard.scores._reps import Scope
from scorecard.settings import TeamSettings, save_settings
from scorecard.store import Store
from tests.factories import add_rep


@pytest.mark.parametrize(("on_pace_at", "at_risk_from"), [(1.0, 0.8), (1.1, 0.5)])
def test_status_of_a_number_and_of_a_column_are_the_same_rule(on_pace_at: float, at_risk_from: float) -> None:
    settings = TeamSettings(on_pace_at=on_pace_at, at_risk_from=at_risk_from)
    paces = [None, 0.0, at_risk_from - 1e-9, at_risk_from, 0.9 * on_pace_at, on_pace_at - 1e-9, on_pace_at, 3.0]
    # actual / expected gives exactly these paces: expected = 1 at f = 1 (goal = weekly goal, whole week elapsed).
    cells = pl.DataFrame(
        {
            "actual": [0.0 if p is None else p for p in paces],
            "weekly_goal": [0.0 if p is None else 1.0 for p in paces],
            "available": [40.0] * len(paces),
            "elapsed": [40.0] * len(paces),
        }
    )
    scored = pace.score(cells, settings, 40.0)
    assert scored.get_column("pace").to_list() == paces
    assert scored.get_column("status").to_list() == [pace.status_of(p, settings) for p in paces]
    assert [pace.status_of(p, settings) for p in paces] == [
        None,
        "behind",
        "behind",
        "at_risk",
        "at_risk",
        "at_risk",
        "on_pace",
        "on_pace",
    ]


def test_reps_with_goal_follows_the_goal_rule(store: Store) -> None:
    ana, bo, cy, di = (add_rep(store, n) for n in ("Ana Lopez", "Bo Chen", "Cy Diaz", "Di Evans"))
    catalog = load_catalog(store)
    every_default_off = [GoalChange(bo, m.key, None, date(2026, 10, 1)) for m in catalog.metrics.values()]
    set_goals(
        store,
        catalog,
        [
            *every_default_off,  # Bo: no goal at all from Oct 1
            GoalChange(bo, "meetings", 3, date(2026, 10, 22)),  # …until a meetings goal on a Thursday
            GoalChange(cy, "calls", 50, date(2026, 9, 1)),  # Cy: defaults plus calls
        ],
    )
    ctx = context(store)
    for week_start, with_goal in ((date(2026, 10, 12), {ana, cy, di}), (date(2026, 10, 19), {ana, bo, cy, di})):
        week = Period("week", week_start, week_start + timedelta(days=6))
        assert pace.reps_with_goal(ctx, Scope(), week) == with_goal
        grid = pace.goals_for(ctx, ctx.reps.get_column("rep_id"), [week])
        assert set(grid.get_column("rep_id").to_list()) == with_goal
    bo_now = weekly_goals(store, catalog, date(2026, 10, 25)).filter(pl.col("rep_id") == bo)
    assert bo_now.select("metric", "weekly_goal", "source").rows() == [("meetings", 3.0, "manual")]
    cy_goals = weekly_goals(store, catalog, date(2026, 10, 25)).filter(pl.col("rep_id") == cy)
    cy_now = dict(cy_goals.select("metric", "source").rows())
    assert cy_now["calls"] == "manual" and cy_now["meetings"] == "default"


@pytest.mark.parametrize("week_start", [0, 3, 6])
def test_whole_weeks_and_loose_days_cover_each_day_once(store: Store, week_start: int) -> None:
    save_settings(store, TeamSettings(week_start=week_start, working_days=(0, 1, 2, 3, 4)))
    ctx = context(store)
    assert ctx.weeks_rolled_up
    rng = random.Random(week_start)
    for _ in range(300):
        start = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
        cutoff = start + timedelta(days=rng.randint(1, 60))
        weeks, days = _split(ctx, start, cutoff)
        covered: list[date] = []
        if weeks is not None:
            first, end = weeks
            assert week_of(first, week_start).start == first and week_of(end, week_start).start == end
            covered += [first + timedelta(days=i) for i in range((end - first).days)]
        for lo, hi in days:
            assert lo < hi
            covered += [lo + timedelta(days=i) for i in range((hi - lo).days)]
        assert sorted(covered) == [start + timedelta(days=i) for i in range((cutoff - start).days)]


def test_events_after_the_moment_never_count_in_contest_totals(store: Store) -> None:
    from tests.factories import add_activity

    ana = add_rep(store, "Ana Lopez")
    add_activity(store, ana, [(datetime(2026, 10, 20, 9), "meetings"), (datetime(2026, 10, 21, 12), "meetings")])
    add_activity(store, ana, [(datetime(2026, 10, 21, 14), "meetings"), (datetime(2026, 10, 23, 9), "meetings")])
    totals = pace.actual_totals(store, "meetings", date(2026, 10, 19), date(2026, 10, 25), datetime(2026, 10, 21, 13))
    assert totals == {ana: 2.0}
    later = datetime(2026, 10, 30)
    assert pace.actual_totals(store, "meetings", date(2026, 10, 19), date(2026, 10, 20), later) == {ana: 1.0}
    assert pace.actual_totals(store, "meetings", date(2026, 10, 19), date(2026, 10, 25), datetime(2026, 10, 18)) == {}
