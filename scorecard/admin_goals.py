"""Goal, quota and PTO editing as the manager pages present it: grids and date ranges.

The pages show a grid, the manager edits some cells, and only the cells that
changed become effective-dated rows, so an untouched default never turns into
a stored goal and weeks that already ended keep the goals they had.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from scorecard.admin import InvalidInput
from scorecard.calendar import holiday_names
from scorecard.catalog import Catalog
from scorecard.goals import (
    QUOTA_PERIODS,
    GoalChange,
    QuotaChange,
    add_pto_rows,
    quotas_in_force,
    remove_pto,
    set_goals,
    set_quotas,
    weekly_goals,
)
from scorecard.ingest import csv_safe
from scorecard.settings import WEEKDAY_NAMES, TeamSettings
from scorecard.store import Store

MAX_PTO_RANGE_DAYS = 366
REP_COLUMNS = ("rep_id", "slug", "name", "team")


def _reps(store: Store) -> pl.DataFrame:
    return store.frame("SELECT rep_id, slug, display_name AS name, team FROM reps WHERE active ORDER BY display_name, rep_id")


# -- goals ----------------------------------------------------------------------


def goal_metrics(catalog: Catalog) -> list[str]:
    """Metrics a manager sets goals for: lead metrics first (the doctrine), then lag."""
    return [m.key for m in catalog.ordered()]


def goal_grid(store: Store, catalog: Catalog, period_end: date) -> pl.DataFrame:
    """One row per active rep, one column per metric: the weekly goal in force (null = none)."""
    reps = _reps(store)
    goals = weekly_goals(store, catalog, period_end)
    metrics = goal_metrics(catalog)
    wide = reps.select("rep_id") if goals.is_empty() else goals.pivot(on="metric", index="rep_id", values="weekly_goal")
    grid = reps.join(wide, on="rep_id", how="left")
    missing = [pl.lit(None, dtype=pl.Float64).alias(m) for m in metrics if m not in grid.columns]
    return grid.with_columns(missing).select(*REP_COLUMNS, *[pl.col(m).cast(pl.Float64) for m in metrics])


def _cell(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def goal_changes(before: pl.DataFrame, after: pl.DataFrame, metrics: list[str], effective_from: date) -> list[GoalChange]:
    """The cells that differ between two goal grids (same reps, same order), as goal changes.

    Raises InvalidInput keyed "<slug>/<metric>" for a negative or non-numeric goal.
    """
    errors: dict[str, str] = {}
    changes: list[GoalChange] = []
    old_rows = {row["rep_id"]: row for row in before.iter_rows(named=True)}
    for row in after.iter_rows(named=True):
        old = old_rows.get(row["rep_id"])
        if old is None:
            continue
        for metric in metrics:
            try:
                new_value = _cell(row.get(metric))
            except (TypeError, ValueError):
                errors[f"{row['slug']}/{metric}"] = f"{row.get(metric)!r} is not a number"
                continue
            if new_value == _cell(old.get(metric)):
                continue
            if new_value is not None and (new_value < 0 or math.isinf(new_value)):
                errors[f"{row['slug']}/{metric}"] = f"the goal must be zero or more, not {new_value:g}"
                continue
            changes.append(GoalChange(int(row["rep_id"]), metric, new_value, effective_from))
    if errors:
        raise InvalidInput(errors)
    return changes


def save_goal_grid(
    store: Store, catalog: Catalog, before: pl.DataFrame, after: pl.DataFrame, effective_from: date
) -> int:
    """Store the edited cells as manual goals from `effective_from`; returns how many changed."""
    changes = goal_changes(before, after, goal_metrics(catalog), effective_from)
    return set_goals(store, catalog, changes, source="manual") if changes else 0


def goals_csv(store: Store, catalog: Catalog, period_end: date) -> bytes:
    """The goals in force as a CSV the goals import reads back (rep, metric, weekly_goal, …)."""
    names = _reps(store).select("rep_id", "slug", "name")
    goals = weekly_goals(store, catalog, period_end)
    frame = (
        goals.join(names, on="rep_id", how="inner")
        .select(pl.col("slug").alias("rep"), "name", "metric", "weekly_goal", "source")
        .sort("rep", "metric")
    )
    return csv_safe(frame)


# -- quotas ---------------------------------------------------------------------


def quota_grid(store: Store, day: date) -> pl.DataFrame:
    """One row per active rep: the quota in force on `day` (nulls when none)."""
    quotas = quotas_in_force(store, day).select("rep_id", "amount", "period", "effective_from")
    return _reps(store).join(quotas, on="rep_id", how="left")


def save_quota_grid(store: Store, before: pl.DataFrame, after: pl.DataFrame, effective_from: date) -> int:
    """Store edited quota rows from `effective_from`; raises InvalidInput keyed "<slug>" on bad rows."""
    errors: dict[str, str] = {}
    changes: list[QuotaChange] = []
    old_rows = {row["rep_id"]: row for row in before.iter_rows(named=True)}
    for row in after.iter_rows(named=True):
        old = old_rows.get(row["rep_id"])
        if old is None or (row["amount"], row["period"]) == (old["amount"], old["period"]):
            continue
        amount = _cell(row["amount"])
        if amount is None:
            errors[row["slug"]] = "a quota cannot be removed; set the new amount instead"
        elif amount <= 0 or math.isinf(amount):
            errors[row["slug"]] = f"the quota must be above zero, not {amount:g}"
        elif row["period"] not in QUOTA_PERIODS:
            errors[row["slug"]] = f"choose the quota period: {' or '.join(QUOTA_PERIODS)}"
        else:
            changes.append(QuotaChange(int(row["rep_id"]), amount, str(row["period"]), effective_from))
    if errors:
        raise InvalidInput(errors)
    return set_quotas(store, changes) if changes else 0


# -- PTO ------------------------------------------------------------------------


def _range_days(start: date, end: date) -> list[date]:
    if end < start:
        raise InvalidInput({"end": f"{end} is before {start}; pick an end on or after the start"})
    if (end - start).days >= MAX_PTO_RANGE_DAYS:
        raise InvalidInput({"end": f"more than {MAX_PTO_RANGE_DAYS} days; pick a shorter range"})
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def working_days_between(settings: TeamSettings, start: date, end: date) -> list[date]:
    """The team's working days in [start, end]: PTO on a weekend or a holiday changes nothing."""
    off = holiday_names(settings, start, end)
    return [d for d in _range_days(start, end) if d.weekday() in settings.working_days and d not in off]


def add_pto_range(store: Store, settings: TeamSettings, rep_id: int, start: date, end: date) -> int:
    """Mark the rep's working days in [start, end] as PTO; returns how many days that is."""
    days = working_days_between(settings, start, end)
    if not days:
        raise InvalidInput({"end": "no working days in that range (weekends and holidays need no PTO)"})
    add_pto_rows(store, [(rep_id, d) for d in days])
    return len(days)


def remove_pto_range(store: Store, rep_id: int, start: date, end: date) -> int:
    """Remove the rep's PTO in [start, end]; returns how many days were removed."""
    days = _range_days(start, end)
    taken = {d for (d,) in store.fetchall("SELECT day FROM pto WHERE rep_id = ? AND day BETWEEN ? AND ?", [rep_id, start, end])}
    remove_pto(store, rep_id, [d for d in days if d in taken])
    return len(taken)


def upcoming_pto(store: Store, from_day: date) -> pl.DataFrame:
    """PTO on or after `from_day`, as runs of consecutive days: slug, name, start, end, days."""
    rows = store.fetchall(
        "SELECT r.slug, r.display_name, p.day FROM pto p JOIN reps r USING (rep_id) WHERE p.day >= ? ORDER BY 1, 3",
        [from_day],
    )
    runs: list[list[Any]] = []
    for slug, name, day in rows:
        last = runs[-1] if runs else None
        if last is not None and last[0] == slug and _next_run_day(last[3], day):
            last[3] = day
            last[4] += 1
        else:
            runs.append([slug, name, day, day, 1])
    frame = pl.DataFrame(
        runs,
        schema={"slug": pl.String, "name": pl.String, "start": pl.Date, "end": pl.Date, "days": pl.Int64},
        orient="row",
    )
    return frame.sort("start", "name")


def _next_run_day(previous: date, day: date) -> bool:
    """Consecutive, or separated only by a weekend (Friday then Monday is one holiday)."""
    gap = (day - previous).days
    return gap == 1 or (gap <= 3 and all((previous + timedelta(days=i)).weekday() >= 5 for i in range(1, gap)))


@dataclass(frozen=True)
class CalendarMonth:
    title: str
    grid: pl.DataFrame  # one row per week, one column per weekday (team week order)
    pto_days: int
    holidays: dict[date, str]


def pto_month(store: Store, settings: TeamSettings, rep_id: int, month: date) -> CalendarMonth:
    """A month as a calendar: day numbers marked 🌴 PTO, 🎉 holiday, · not a working day."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    pto = {d for (d,) in store.fetchall("SELECT day FROM pto WHERE rep_id = ? AND day BETWEEN ? AND ?", [rep_id, first, last])}
    off = holiday_names(settings, first, last)
    order = [(settings.week_start + i) % 7 for i in range(7)]
    lead = (first.weekday() - settings.week_start) % 7
    cells: list[str] = [""] * lead
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        mark = "🌴" if day in pto else "🎉" if day in off else "·" if day.weekday() not in settings.working_days else ""
        cells.append(f"{day.day} {mark}".strip())
    cells += [""] * (-len(cells) % 7)
    weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
    columns = [WEEKDAY_NAMES[d][:3] for d in order]
    grid = pl.DataFrame(weeks, schema={c: pl.String for c in columns}, orient="row")
    return CalendarMonth(title=f"{first:%B %Y}", grid=grid, pto_days=len(pto), holidays=off)
