"""Goal and quota grids, PTO ranges and the PTO calendar."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from scorecard.admin import InvalidInput
from scorecard.admin_goals import (
    add_pto_range,
    goal_grid,
    goals_csv,
    pto_month,
    quota_grid,
    remove_pto_range,
    save_goal_grid,
    save_quota_grid,
    upcoming_pto,
)
from scorecard.catalog import load_catalog
from scorecard.goals import weekly_goals
from scorecard.imports import import_goals_csv
from scorecard.settings import TeamSettings
from scorecard.store import Store
from tests.factories import add_rep

MON = date(2026, 3, 2)
SUN = date(2026, 3, 8)
US = TeamSettings()


def test_only_edited_cells_become_goals(store: Store) -> None:
    ann, bob = add_rep(store, "Ann"), add_rep(store, "Bob")
    catalog = load_catalog(store)
    grid = goal_grid(store, catalog, SUN)
    assert grid["name"].to_list() == ["Ann", "Bob"]
    assert grid["meetings"].to_list() == [4.0, 4.0]  # the catalog default
    assert grid["calls"].to_list() == [None, None]  # vanity: no default goal
    edited = grid.with_columns(
        meetings=pl.when(pl.col("rep_id") == ann).then(6.0).otherwise(pl.col("meetings")),
        calls=pl.when(pl.col("rep_id") == bob).then(50.0).otherwise(pl.col("calls")),
        conversations=pl.when(pl.col("rep_id") == bob).then(None).otherwise(pl.col("conversations")),
    )
    assert save_goal_grid(store, catalog, grid, edited, MON) == 3
    rows = store.fetchall("SELECT rep_id, metric, weekly_goal, effective_from, source FROM goals ORDER BY ALL")
    assert rows == [(ann, "meetings", 6.0, MON, "manual"), (bob, "calls", 50.0, MON, "manual"), (bob, "conversations", None, MON, "manual")]
    after = goal_grid(store, catalog, SUN)
    assert after.filter(pl.col("rep_id") == bob)["conversations"].to_list() == [None]  # "no goal from then on"
    # The week before keeps its goals.
    assert goal_grid(store, catalog, date(2026, 3, 1))["meetings"].to_list() == [4.0, 4.0]


def test_a_negative_goal_is_refused_and_nothing_is_written(store: Store) -> None:
    add_rep(store, "Ann")
    catalog = load_catalog(store)
    grid = goal_grid(store, catalog, SUN)
    edited = grid.with_columns(meetings=pl.lit(-2.0), proposals=pl.lit(3.0))
    with pytest.raises(InvalidInput) as info:
        save_goal_grid(store, catalog, grid, edited, MON)
    assert list(info.value.errors) == ["ann/meetings"]
    assert store.scalar("SELECT count(*) FROM goals") == 0


def test_goals_csv_round_trips_through_the_import(store: Store) -> None:
    add_rep(store, "Ann")
    catalog = load_catalog(store)
    grid = goal_grid(store, catalog, SUN)
    save_goal_grid(store, catalog, grid, grid.with_columns(meetings=pl.lit(7.0)), MON)
    data = goals_csv(store, catalog, SUN)
    assert data.splitlines()[0] == b"rep,name,metric,weekly_goal,source"
    before = weekly_goals(store, catalog, SUN).select("rep_id", "metric", "weekly_goal")
    with store.write() as cur:
        cur.execute("DELETE FROM goals")
    import_goals_csv(store, data, today=MON)
    assert weekly_goals(store, catalog, SUN).select("rep_id", "metric", "weekly_goal").equals(before)


def test_quota_grid_saves_changed_rows_and_refuses_bad_ones(store: Store) -> None:
    ann, _ = add_rep(store, "Ann"), add_rep(store, "Bob")
    grid = quota_grid(store, MON)
    assert grid["amount"].to_list() == [None, None]
    edited = grid.with_columns(
        amount=pl.when(pl.col("rep_id") == ann).then(40000.0).otherwise(None),
        period=pl.when(pl.col("rep_id") == ann).then(pl.lit("month")).otherwise(None),
    )
    assert save_quota_grid(store, grid, edited, MON) == 1
    assert store.fetchall("SELECT rep_id, amount, period, effective_from FROM quotas") == [(ann, 40000.0, "month", MON)]
    grid = quota_grid(store, MON)
    bad = grid.with_columns(amount=pl.lit(-5.0), period=pl.lit("month"))
    with pytest.raises(InvalidInput) as info:
        save_quota_grid(store, grid, bad, MON)
    assert set(info.value.errors) == {"ann", "bob"}
    assert store.scalar("SELECT count(*) FROM quotas") == 1


def test_pto_ranges_skip_weekends_and_holidays_and_group_into_runs(store: Store) -> None:
    ann = add_rep(store, "Ann")
    # Thu Dec 24 → Tue Dec 29, 2026: Christmas (Fri) is a holiday, Sat/Sun are off.
    assert add_pto_range(store, US, ann, date(2026, 12, 24), date(2026, 12, 29)) == 3
    days = [d for (d,) in store.fetchall("SELECT day FROM pto ORDER BY day")]
    assert days == [date(2026, 12, 24), date(2026, 12, 28), date(2026, 12, 29)]
    runs = upcoming_pto(store, date(2026, 12, 1))
    # Thursday, then Monday–Tuesday: a holiday Friday in between splits the run.
    assert runs.select("start", "end", "days").rows() == [(date(2026, 12, 24), date(2026, 12, 24), 1), (date(2026, 12, 28), date(2026, 12, 29), 2)]
    month = pto_month(store, US, ann, date(2026, 12, 15))
    cells = month.grid.to_numpy().ravel().tolist()
    assert month.title == "December 2026" and month.pto_days == 3
    assert {"24 🌴", "25 🎉", "26 ·", "28 🌴"} <= set(cells)
    assert month.grid.columns == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert remove_pto_range(store, ann, date(2026, 12, 28), date(2026, 12, 31)) == 2
    assert store.scalar("SELECT count(*) FROM pto") == 1


@pytest.mark.parametrize(("start", "end"), [(date(2026, 3, 6), date(2026, 3, 2)), (date(2026, 3, 7), date(2026, 3, 8)), (date(2026, 1, 1), date(2027, 6, 1))])
def test_bad_pto_ranges_are_refused_at_the_end_field(store: Store, start: date, end: date) -> None:
    ann = add_rep(store, "Ann")
    with pytest.raises(InvalidInput) as info:
        add_pto_range(store, US, ann, start, end)
    assert list(info.value.errors) == ["end"]
    assert store.scalar("SELECT count(*) FROM pto") == 0


def test_calendar_follows_the_team_week_start(store: Store) -> None:
    ann = add_rep(store, "Ann")
    month = pto_month(store, TeamSettings(week_start=6, holiday_country=None), ann, date(2026, 3, 1))
    assert month.grid.columns[0] == "Sun"
    assert month.grid.row(0)[0] == "1 ·"  # March 1, 2026 is a Sunday
