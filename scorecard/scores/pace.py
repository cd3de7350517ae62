"""The pace engine: actual as of a moment, the goal in force, and the score.

Every number a scorecard, the team view, the flash report or a contest shows
comes from here; docs/pace.md states the rules in plain words.

- Actual as of a moment: rollups for the whole days before the moment's day,
  plus that day's own events up to the moment. Events after it never count.
- Goal in force for a period: the latest goal row effective on or before the
  period's last day, else the catalog default; a row with no goal means none.
- Score: the weekly goal prorated to the rep's working hours in the period,
  expected = goal × elapsed fraction, pace = actual ÷ expected, projected =
  actual ÷ elapsed fraction, and a status from the team's thresholds.

A *cell* is one rep × period × metric. Functions taking a `Context` serve the
scores package (memoised per data version); the store-level ones serve
everything else.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import TypeVar

import numpy as np
import polars as pl

from scorecard.calendar import Period, WorkingTime, team_working_days, working_time
from scorecard.catalog import Catalog
from scorecard.scores._context import Context, context
from scorecard.scores._reads import ACTUAL_SCHEMA, day_events_between, nothing_after, rollups
from scorecard.scores._reads import weeks_with_data as _weeks_with_data
from scorecard.scores._reps import Scope, scope_ids
from scorecard.settings import TeamSettings
from scorecard.store import Store

__all__ = [
    # For everyone (store level): contests, goals, the command line.
    "actual_totals",
    "goals_in_force",
    "period_scores",
    "score",
    "status_of",
    "weeks_with_data",
    # For the scores package (on its per-version context).
    "Scope",
    "actuals",
    "goals_for",
    "last_working_day",
    "pto_in",
    "reps_with_goal",
    "scored_cells",
    "week_cells",
]

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
_GOAL_SCHEMA = {"rep_id": pl.Int32, "period_start": pl.Date, "metric": pl.String, "weekly_goal": pl.Float64}


# -- actual as of a moment -----------------------------------------------------


def actuals(
    store: Store,
    ctx: Context,
    scope: Scope,
    start: date,
    end: date,
    as_of: datetime,
    *,
    focus: int | None = None,
    only: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Actuals per rep, week and metric for days start..end inclusive, as of `as_of`.

    For the reps in `scope`, plus rep `focus` (whatever its state). `only`
    limits the metrics read. Returns rep_id, week_start, metric, actual: one
    row per rep, week and metric with anything recorded.
    """
    # Sorted: it is part of the memo key, and callers may pass metrics in any order.
    wanted = tuple(ctx.catalog.metrics) if only is None else tuple(sorted(set(only)))
    cutoff = min(as_of.date(), end + timedelta(days=1))
    if not store.is_lake and start <= as_of.date() <= end and nothing_after(store, ctx, as_of, scope, start, end, wanted):
        # Nothing in the range happened after as_of (a live page, now): the rollups up to its end
        # hold exactly what happened so far, so the range is one rollups read, of whole weeks where
        # it has them, instead of rollups before as_of's day and that day's events. Not on a lake:
        # there every table a query reads costs a catalog round trip, and after an upload the day's
        # events alone are one table where this is two.
        cutoff = end + timedelta(days=1)
    ids = scope_ids(ctx, scope)
    parts = [rollups(store, ctx, scope, start, cutoff, wanted)]
    if focus is not None and not ids.is_in([focus]).any():
        ids = pl.concat([ids, pl.Series([focus], dtype=pl.Int32)])
        parts.append(rollups(store, ctx, Scope(rep_ids=(focus,)), start, cutoff, wanted))
    day_open = max(datetime.combine(as_of.date(), time.min), datetime.combine(start, time.min))
    day_close = min(as_of, datetime.combine(end, time.max))
    if day_open <= day_close and cutoff <= as_of.date():
        parts.append(day_events_between(store, ctx, ids, day_open, day_close, wanted))
    parts = [p for p in parts if p.height]
    if len(parts) <= 1:
        # Each read already has one row per key.
        return parts[0] if parts else pl.DataFrame(schema=ACTUAL_SCHEMA)
    # The moment's own day may fall in a week the rollups also cover: sum.
    return pl.concat(parts).group_by("rep_id", "week_start", "metric").agg(pl.col("actual").sum())


def actual_totals(
    store: Store, metric: str, start: date, end: date, as_of: datetime, rep_ids: Iterable[int] | None = None
) -> dict[int, float]:
    """Each rep's total of `metric` for days start..end inclusive, as of `as_of`.

    For exactly `rep_ids` (every rep for None), whatever their state. Reps
    with nothing recorded are left out.
    """
    ctx = context(store)
    ids = ctx.reps.get_column("rep_id").to_list() if rep_ids is None else rep_ids
    scope = Scope(rep_ids=tuple(sorted(set(ids))))
    got = actuals(store, ctx, scope, start, end, as_of, only=[metric])
    sums = got.group_by("rep_id").agg(pl.col("actual").sum())
    return {int(rep_id): float(actual) for rep_id, actual in sums.iter_rows()}


# -- goal in force ---------------------------------------------------------------


def _in_force(
    goal_rows: pl.DataFrame,
    defaults: Mapping[str, float | None],
    rep_ids: pl.Series,
    periods: Sequence[Period],
    *,
    with_source: bool = False,
) -> pl.DataFrame:
    """The goal rule: weekly goals per rep, period and metric (only pairs with a goal).

    The latest goal row effective on or before the period's last day wins,
    else the catalog default; a row without a goal means no goal. Columns:
    rep_id, period_start, metric, weekly_goal (and source: default | manual |
    import | derived, with `with_source`).
    """
    rep_ids = rep_ids.cast(pl.Int32)
    with_rows = rep_ids.is_in(goal_rows.get_column("rep_id").cast(pl.Int32).implode())
    if not with_rows.any():
        return _defaults_only(defaults, rep_ids, periods, with_source)
    own = _own_goals(goal_rows, defaults, rep_ids.filter(with_rows), periods, with_source)
    if with_rows.all():
        return own
    return pl.concat([own, _defaults_only(defaults, rep_ids.filter(~with_rows), periods, with_source)])


def _defaults_only(
    defaults: Mapping[str, float | None], rep_ids: pl.Series, periods: Sequence[Period], with_source: bool
) -> pl.DataFrame:
    """Reps without goal rows of their own have the catalog defaults in every period (no as-of join needed)."""
    goals = pl.LazyFrame(
        {
            "metric": [m for m, v in defaults.items() if v is not None],
            "weekly_goal": [float(v) for v in defaults.values() if v is not None],
        },
        schema={"metric": pl.String, "weekly_goal": pl.Float64},
    )
    columns = [*_GOAL_SCHEMA, "source"] if with_source else list(_GOAL_SCHEMA)
    return (
        pl.LazyFrame({"rep_id": rep_ids}, schema={"rep_id": pl.Int32})
        .join(goals, how="cross")
        .join(_period_frame(periods).lazy().select("period_start"), how="cross")
        .with_columns(source=pl.lit("default"))
        .select(columns)
        .collect()
    )


def _own_goals(
    goal_rows: pl.DataFrame,
    defaults: Mapping[str, float | None],
    rep_ids: pl.Series,
    periods: Sequence[Period],
    with_source: bool,
) -> pl.DataFrame:
    grid = (
        pl.LazyFrame({"rep_id": rep_ids}, schema={"rep_id": pl.Int32})
        .join(pl.LazyFrame({"metric": list(defaults)}, schema={"metric": pl.String}), how="cross")
        .join(_period_frame(periods).lazy(), how="cross")
        .sort("period_end")
    )
    own = (
        goal_rows.lazy()
        .filter(pl.col("rep_id").is_in(rep_ids.implode()))
        .select(
            pl.col("rep_id").cast(pl.Int32),
            "metric",
            pl.col("weekly_goal").alias("own_goal"),
            "effective_from",
            "source",
        )
        .sort("effective_from")
    )
    default_frame = pl.LazyFrame(
        {"metric": list(defaults), "default_goal": [None if v is None else float(v) for v in defaults.values()]},
        schema={"metric": pl.String, "default_goal": pl.Float64},
    )
    columns = [*_GOAL_SCHEMA, "source"] if with_source else list(_GOAL_SCHEMA)
    no_row = pl.col("effective_from").is_null()
    return (
        grid.join_asof(
            own, left_on="period_end", right_on="effective_from", by=["rep_id", "metric"], check_sortedness=False
        )
        .join(default_frame, on="metric", how="left")
        .with_columns(
            weekly_goal=pl.when(no_row).then(pl.col("default_goal")).otherwise(pl.col("own_goal")),
            source=pl.when(no_row).then(pl.lit("default")).otherwise(pl.col("source")),
        )
        .filter(pl.col("weekly_goal").is_not_null())
        .select(columns)
        .collect()
    )


def _period_frame(periods: Sequence[Period]) -> pl.DataFrame:
    return pl.DataFrame(
        {"period_start": [p.start for p in periods], "period_end": [p.end for p in periods]},
        schema={"period_start": pl.Date, "period_end": pl.Date},
    )


def _defaults(catalog: Catalog) -> dict[str, float | None]:
    return {m.key: m.default_weekly_goal for m in catalog.metrics.values()}


def goals_for(ctx: Context, rep_ids: pl.Series, periods: Sequence[Period]) -> pl.DataFrame:
    """Weekly goals in force per rep, period and metric: rep_id, period_start, metric, weekly_goal."""
    return _in_force(ctx.goal_rows, _defaults(ctx.catalog), rep_ids, periods)


def goals_in_force(store: Store, catalog: Catalog, period_end: date) -> pl.DataFrame:
    """Every rep's weekly goal per metric in force for a period ending `period_end`.

    Columns: rep_id, metric, weekly_goal, source (default | manual | import |
    derived), sorted by rep and metric; only pairs with a goal.
    """
    ctx = context(store)
    period = Period("week", period_end, period_end)  # only the last day matters to the rule
    goals = _in_force(ctx.goal_rows, _defaults(catalog), ctx.reps.get_column("rep_id"), [period], with_source=True)
    return goals.select("rep_id", "metric", "weekly_goal", "source").sort("rep_id", "metric")


def _scope_goals(ctx: Context, rep_ids: pl.Series, periods: Sequence[Period], scope: Scope) -> pl.DataFrame:
    """`goals_for`, memoised per data version under `scope` (which must identify `rep_ids`)."""
    return ctx.memoised(("goals", scope, tuple(periods)), lambda: goals_for(ctx, rep_ids, periods), setup_only=True)


def reps_with_goal(ctx: Context, scope: Scope, period: Period) -> set[int]:
    """The reps in `scope` with a goal for some metric in `period`."""

    def build() -> set[int]:
        ids = scope_ids(ctx, scope)
        defaults = _defaults(ctx.catalog)
        with_rows = ids.is_in(ctx.goal_rows.get_column("rep_id").cast(pl.Int32).implode())
        # The rule gives reps without goal rows the catalog defaults: a goal when any metric has one,
        # so only reps with rows of their own need the goal grid.
        found = set(ids.filter(~with_rows).to_list()) if any(v is not None for v in defaults.values()) else set()
        own = _own_goals(ctx.goal_rows, defaults, ids.filter(with_rows), [period], with_source=False)
        return found | set(own.get_column("rep_id").unique().to_list())

    return ctx.memoised(("reps_with_goal", scope, period), build, setup_only=True)


# -- working time ----------------------------------------------------------------


def hours_for(ctx: Context, rep_ids: pl.Series, periods: Sequence[Period], as_of: datetime) -> pl.DataFrame:
    """Working hours per rep and period: rep_id, period_start, available, elapsed.

    The team's working time is computed once per period; only reps with PTO in
    a period get a calculation of their own.
    """
    settings = ctx.settings
    team = pl.DataFrame(
        [(p.start, *_hours(working_time(p, as_of, settings))) for p in periods],
        schema=_HOURS_SCHEMA,
        orient="row",
    )
    # Every rep beside every period, gathered row by row: a cross join with a
    # one-row frame would broadcast it (see `scored_cells`).
    ids = rep_ids.cast(pl.Int32)
    k = team.height
    base = pl.DataFrame({"rep_id": ids.gather(np.repeat(np.arange(ids.len()), k))}).hstack(
        team[np.tile(np.arange(k), ids.len())]
    )
    away = _pto_by_rep(ctx)
    own_rows = [
        (rep_id, p.start, *_hours(working_time(p, as_of, settings, mine)))
        for rep_id in away.keys() & set(rep_ids.to_list())
        for p in periods
        if (mine := {d for d in away[rep_id] if p.contains(d)})
    ]
    if not own_rows:
        return base
    own = pl.DataFrame(own_rows, schema={"rep_id": pl.Int32, **_HOURS_SCHEMA}, orient="row")
    return base.update(own, on=["rep_id", "period_start"])


_HOURS_SCHEMA: dict[str, type[pl.DataType]] = {"period_start": pl.Date, "available": pl.Float64, "elapsed": pl.Float64}


def _pto_by_rep(ctx: Context) -> dict[int, set[date]]:
    """Each rep's PTO days (reps without any are absent), once per data version."""

    def build() -> dict[int, set[date]]:
        away: dict[int, set[date]] = {}
        for rep_id, day in ctx.pto.iter_rows():
            away.setdefault(int(rep_id), set()).add(day)
        return away

    return ctx.memoised(("pto_by_rep",), build, setup_only=True)


def _hours(wt: WorkingTime) -> tuple[float, float]:
    return wt.available_hours, wt.elapsed_hours


def pto_in(ctx: Context, rep_id: int, period: Period) -> set[date]:
    """A rep's PTO days in a period."""
    return {d for d in _pto_by_rep(ctx).get(rep_id, ()) if period.contains(d)}


def last_working_day(ctx: Context, period: Period, pto: set[date]) -> date | None:
    days = [d for d in team_working_days(period, ctx.settings) if d not in pto]
    return days[-1] if days else None


# -- the score -----------------------------------------------------------------


def _status_bands(on_pace_at: float, at_risk_from: float) -> tuple[tuple[float, str], ...]:
    """The status rule: each status with the lowest pace it starts at, best first."""
    return ((on_pace_at, "on_pace"), (at_risk_from, "at_risk"), (-math.inf, "behind"))


def status_of(pace: float | None, settings: TeamSettings) -> str | None:
    """The status of one pace (None while pace is undefined)."""
    if pace is None:
        return None
    return next(name for floor, name in _status_bands(settings.on_pace_at, settings.at_risk_from) if pace >= floor)


def _status_expr(pace: pl.Expr, on_pace_at: float, at_risk_from: float) -> pl.Expr:
    """`status_of` for a column, from the same bands."""
    expr = pl.lit(None, dtype=pl.String)
    for floor, name in reversed(_status_bands(on_pace_at, at_risk_from)):
        expr = pl.when(pace >= floor).then(pl.lit(name)).otherwise(expr)
    return pl.when(pace.is_null()).then(pl.lit(None, dtype=pl.String)).otherwise(expr)


def score(cells: FrameT, settings: TeamSettings, standard_hours: float) -> FrameT:
    """Add goal, fraction, expected, pace, projected and status to cells.

    Needs actual, weekly_goal (null = no goal), available and elapsed hours.
    """
    return cells.with_columns(_score_exprs(settings.on_pace_at, settings.at_risk_from, standard_hours))


@functools.lru_cache(maxsize=32)
def _score_exprs(on_pace_at: float, at_risk_from: float, standard_hours: float) -> list[pl.Expr]:
    actual = pl.col("actual")
    # A weekly goal is for a standard week: a period carries its share of the rep's working hours.
    goal = pl.col("weekly_goal") * pl.col("available") / standard_hours
    fraction = pl.when(pl.col("available") > 0).then(pl.col("elapsed") / pl.col("available"))
    expected = goal * fraction.fill_null(0.0)
    pace = pl.when(expected > 0).then(actual / expected)
    return [
        goal.alias("goal"),
        fraction.alias("fraction"),
        expected.alias("expected"),
        pace.alias("pace"),
        pl.when(fraction > 0).then(actual / fraction).alias("projected"),
        _status_expr(pace, on_pace_at, at_risk_from).alias("status"),
    ]


def scored_cells(
    ctx: Context,
    got: pl.DataFrame,
    rep_ids: pl.Series,
    periods: Sequence[Period],
    as_of: datetime,
    *,
    scope: Scope,
) -> pl.DataFrame:
    """Scored cells for `rep_ids` over `periods` from actuals (rep_id, period_start, metric, actual, …).

    Columns: rep_id, period_start, metric, actual, weekly_goal, goal, available,
    elapsed, fraction, expected, pace, projected, status, and any other column
    of `got`. A cell exists when the rep has a goal for the metric or a row
    in `got`. Goals and the working time of finished periods do not depend on
    as_of, so they are memoised per data version under `scope` (which must
    identify `rep_ids`).
    """
    rep_ids = rep_ids.cast(pl.Int32)
    periods = list(periods)
    goals = _scope_goals(ctx, rep_ids, periods, scope)
    keys = ["rep_id", "period_start", "metric"]
    hours = _scope_hours(ctx, rep_ids, periods, as_of, scope)
    cells = goals.join(got, on=keys, how="full", coalesce=True).with_columns(actual=pl.col("actual").fill_null(0.0))
    standard = working_time(periods[0], as_of, ctx.settings).standard_week_hours
    if hours.height == 1:
        # One rep, one period: an eager join would broadcast the hours' one row,
        # and Polars divides by a broadcast column as a multiplication by its
        # inverse, so the last digit would depend on how many reps were scored
        # together. A lazy join gives every row its own value.
        joined = cells.lazy().join(hours.lazy(), on=["rep_id", "period_start"], how="inner")
        return score(joined, ctx.settings, standard).collect().sort(keys)
    # In key order: sums and means over the cells then add in one order, however the reads arrived.
    return score(cells.join(hours, on=["rep_id", "period_start"], how="inner"), ctx.settings, standard).sort(keys)


def _scope_hours(
    ctx: Context, rep_ids: pl.Series, periods: list[Period], as_of: datetime, scope: Scope
) -> pl.DataFrame:
    """Working hours of the periods; those of finished periods are memoised (they no longer move)."""
    today = as_of.date()
    done = [p for p in periods if p.end < today]
    live = [p for p in periods if p.end >= today]
    parts = []
    if done:
        parts.append(
            ctx.memoised(("hours", scope, tuple(done)), lambda: hours_for(ctx, rep_ids, done, as_of), setup_only=True)
        )
    if live:
        parts.append(hours_for(ctx, rep_ids, live, as_of))
    return pl.concat(parts) if len(parts) > 1 else parts[0]


def week_cells(
    store: Store,
    ctx: Context,
    scope: Scope,
    weeks: Sequence[Period],
    as_of: datetime,
    *,
    with_goals_only: bool = False,
    only: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Scored cells of the reps in `scope` for consecutive weeks, as of `as_of`.

    `with_goals_only` reads only metrics that someone in scope has a goal
    for; `only` reads just those metrics.
    """
    rep_ids = scope_ids(ctx, scope)
    wanted = only
    if with_goals_only:
        wanted = _scope_goals(ctx, rep_ids, weeks, scope).get_column("metric").unique().to_list()
    got = actuals(store, ctx, scope, weeks[0].start, weeks[-1].end, as_of, only=wanted)
    got = got.rename({"week_start": "period_start"})
    cells = scored_cells(ctx, got, rep_ids, weeks, as_of, scope=scope)
    # Goals of other metrics made cells too: keep just the ones asked for.
    return cells if only is None else cells.filter(pl.col("metric").is_in(list(only)))


def period_scores(
    store: Store, rep_ids: Iterable[int], weeks: Sequence[Period], as_of: datetime, metrics: Sequence[str]
) -> pl.DataFrame:
    """Scored cells of exactly `rep_ids` for consecutive weeks and some metrics, as of `as_of`.

    The store-level door to `week_cells` (same columns), for callers outside
    the scores package.
    """
    ctx = context(store)
    scope = Scope(rep_ids=tuple(sorted(set(rep_ids))))
    return week_cells(store, ctx, scope, weeks, as_of, only=metrics)


def weeks_with_data(store: Store, rep_ids: Iterable[int], weeks: Sequence[date]) -> pl.DataFrame:
    """rep_id, week_start: which of `rep_ids` recorded any activity in each week starting on `weeks`.

    A week before a rep's data begins is not a miss: they were not here yet,
    or their history was never uploaded.
    """
    ctx = context(store)
    return _weeks_with_data(store, ctx, Scope(rep_ids=tuple(sorted(set(rep_ids)))), weeks)
