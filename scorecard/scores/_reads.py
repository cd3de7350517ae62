"""Reads for the scores: rollups by rep and week, a day's events, team totals, first weeks.

Whole weeks are read from the weekly rollups (one row per rep, week and
metric), the loose days at either end of a range from the daily rollups.
Every read is memoised under a key only this module builds, with the day its
reads stop before, so it is kept until a write changes an earlier day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl

from scorecard.rollups import day_events, week_start_sql
from scorecard.scores._context import Context
from scorecard.scores._reps import Scope, scope_ids
from scorecard.store import Store

__all__ = [
    "ACTUAL_SCHEMA",
    "day_events_between",
    "first_weeks_in",
    "nothing_after",
    "rollups",
    "team_totals",
    "weeks_with_data",
]

_WEEK = timedelta(days=7)
ACTUAL_SCHEMA = {"rep_id": pl.Int32, "week_start": pl.Date, "metric": pl.String, "actual": pl.Float64}


def _week_start(day: date, ctx: Context) -> date:
    """The first day of the team's week holding `day`."""
    return day - timedelta(days=(day.weekday() - ctx.settings.week_start) % 7)


# -- rollups -----------------------------------------------------------------


def rollups(
    store: Store, ctx: Context, scope: Scope, start: date, cutoff: date, wanted: tuple[str, ...]
) -> pl.DataFrame:
    """Rollups of days [start, cutoff) per rep and week, for the reps in `scope` and the metrics `wanted`.

    Returns rep_id, week_start, metric, actual (the amount for amount
    metrics, else the count), one row per key: whole weeks and the loose days
    at either end fall in different weeks.
    """
    key = _rollups_key(scope, start, cutoff, wanted)
    return ctx.memoised(key, lambda: _read_rollups(store, ctx, scope, start, cutoff, wanted), activity_before=cutoff)


def _rollups_key(scope: Scope, start: date, cutoff: date, wanted: tuple[str, ...]) -> tuple[Any, ...]:
    return ("rollups", scope, start, cutoff, wanted)


def _read_rollups(
    store: Store, ctx: Context, scope: Scope, start: date, cutoff: date, wanted: tuple[str, ...]
) -> pl.DataFrame:
    if start >= cutoff:
        return pl.DataFrame(schema=ACTUAL_SCHEMA)
    sql, params = _rollup_sql(ctx, scope, start, cutoff, wanted)
    return store.frame(sql, params).cast(ACTUAL_SCHEMA)  # type: ignore[arg-type]


def _rollup_sql(
    ctx: Context, scope: Scope, start: date, cutoff: date, wanted: tuple[str, ...]
) -> tuple[str, list[Any]]:
    """The query behind `rollups` (start < cutoff), and its parameters."""
    weeks, days = _split(ctx, start, cutoff)
    who, who_params = _who(ctx, scope)
    value, value_params = _value_sql(ctx)
    # Rollups hold catalog metrics only: filter on metric only when some are left out.
    which, which_params = _in_sql("metric", wanted) if set(wanted) < set(ctx.catalog.metrics) else ("TRUE", [])
    parts: list[str] = []
    params: list[Any] = []
    if weeks is not None:
        parts.append(
            f"""
            SELECT rep_id, week_start, metric, ({value})::DOUBLE AS actual
            FROM weekly_rollups
            WHERE week_start >= ? AND week_start < ? AND {which} AND {who}
            """
        )
        params += [*value_params, weeks[0], weeks[1], *which_params, *who_params]
    for lo, hi in days:
        week, week_params = _bucket_sql(ctx, lo, hi)
        parts.append(
            f"""
            SELECT rep_id, {week} AS week_start, metric, sum({value})::DOUBLE AS actual
            FROM daily_rollups
            WHERE day >= ? AND day < ? AND {which} AND {who}
            GROUP BY ALL
            """
        )
        params += [*week_params, *value_params, lo, hi, *which_params, *who_params]
    return " UNION ALL ".join(parts), params


def _who(ctx: Context, scope: Scope) -> tuple[str, list[Any]]:
    """`scope.sql()`, with a team's members listed from the setup already read, not looked up again in `reps`:
    on a lake every table a query reads costs a catalog round trip."""
    if scope.rep_ids is not None:
        return scope.sql()
    return Scope(rep_ids=tuple(scope_ids(ctx, scope).to_list())).sql()


def _bucket_sql(ctx: Context, lo: date, hi: date) -> tuple[str, list[Any]]:
    """SQL for the start of each daily row's week, for days [lo, hi), and its parameters."""
    if _week_start(lo, ctx) == _week_start(hi - timedelta(days=1), ctx):
        # Loose days of one week (the usual case) share its start: no per-row bucketing.
        return "CAST(? AS DATE)", [_week_start(lo, ctx)]
    return week_start_sql("day"), [ctx.settings.week_start]


def _value_sql(ctx: Context) -> tuple[str, list[Any]]:
    """A rollup row's actual: its amount for amount metrics, else its count."""
    if not ctx.amount_metrics:
        return "n", []
    amounts, params = _in_sql("metric", ctx.amount_metrics)
    return f"CASE WHEN {amounts} THEN amount ELSE n END", params


def _in_sql(column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    """`column IN (?, …)` with one bound parameter per value (`column` is a fixed identifier of ours)."""
    if not values:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' for _ in values)})", list(values)


def _split(ctx: Context, start: date, cutoff: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Days [start, cutoff) as whole weeks [first, end) for the weekly rollups, and the rest as day ranges.

    Without weekly rollups on the team's week (never, once the setting is
    saved), everything is read as days.
    """
    first, end = _week_start(start - timedelta(days=1), ctx) + _WEEK, _week_start(cutoff, ctx)
    if not ctx.weeks_rolled_up or first >= end:
        return None, [(start, cutoff)]
    days = [(start, first)] if start < first else []
    if end < cutoff:
        days.append((end, cutoff))
    return (first, end), days


# -- a day's events ----------------------------------------------------------


def day_events_between(
    store: Store,
    ctx: Context,
    rep_ids: pl.Series,
    day_open: datetime,
    day_close: datetime,
    wanted: tuple[str, ...],
) -> pl.DataFrame:
    """One day's events of `rep_ids` from `day_open` to `day_close` (both inclusive), summed per rep and metric.

    Same columns as `rollups`. The day's events are read once per data version
    and cut in memory, so a live page re-run costs no query.
    """
    day = day_open.date()
    events = _day_events(store, ctx, day)
    moments = events.get_column("occurred_at")
    first = int(moments.search_sorted(day_open, side="left"))
    last = int(moments.search_sorted(day_close, side="right"))
    keep = pl.col("rep_id").is_in(rep_ids.implode())
    if set(wanted) != set(ctx.catalog.metrics):
        keep = keep & pl.col("metric").is_in(list(wanted))
    return (
        events.slice(first, last - first)
        .filter(keep)
        .group_by("rep_id", "metric")
        .agg(pl.col("actual").sum())
        .select(
            "rep_id",
            week_start=pl.lit(_week_start(day, ctx)),
            metric="metric",
            actual="actual",
        )
    )


def nothing_after(
    store: Store, ctx: Context, as_of: datetime, scope: Scope, start: date, end: date, wanted: tuple[str, ...]
) -> bool:
    """Whether no event from as_of's day to the end of day `end` is later than as_of.

    Then the rollups of days start..end hold exactly what happened up to as_of:
    a live page, which shows now, reads them instead of the raw events. When
    the answer is not kept yet, it is read in one query with those rollups (of
    `scope` and `wanted`), which `rollups` then finds kept: on a lake each query
    costs a catalog round trip.
    """
    first, until = as_of.date(), end + timedelta(days=1)
    key = ("last_event", first, until)
    kept: tuple[datetime | None] | None = ctx.recall(key, activity=True)
    if kept is None:
        frame, last = _rollups_and_last_event(store, ctx, scope, start, until, wanted, first)
        kept = ctx.remember(key, (last,), activity_before=until)  # in a tuple: a range without events keeps its None
        ctx.remember(_rollups_key(scope, start, until, wanted), frame, activity_before=until)
    last = kept[0]
    return last is None or last <= as_of


def _rollups_and_last_event(
    store: Store, ctx: Context, scope: Scope, start: date, until: date, wanted: tuple[str, ...], first: date
) -> tuple[pl.DataFrame, datetime | None]:
    """`rollups` of days [start, until), and the latest event of days [first, until), in one query."""
    sql, params = _rollup_sql(ctx, scope, start, until, wanted)
    both = store.frame(
        f"""
        SELECT r.*, l.last_event
        FROM ({sql}) r RIGHT JOIN (
            SELECT max(occurred_at) AS last_event FROM events WHERE occurred_at >= ? AND occurred_at < ?
        ) l ON TRUE
        """,
        [*params, datetime.combine(first, time.min), datetime.combine(until, time.min)],
    )
    last = both.get_column("last_event")[0]
    rows = both.filter(pl.col("rep_id").is_not_null()).drop("last_event").cast(ACTUAL_SCHEMA)  # type: ignore[arg-type]
    return rows, last if isinstance(last, datetime) else None


def _day_events(store: Store, ctx: Context, day: date) -> pl.DataFrame:
    """A whole day's events, one row per event and metric, in time order: occurred_at, rep_id, metric, actual."""

    def read() -> pl.DataFrame:
        handed = ctx.written_days.get(day)  # the write that made this version may have handed them over
        events = handed if handed is not None else day_events(store, day, day)
        mapping, connects = _mapping(ctx)
        amount = pl.col("metric").is_in(ctx.amount_metrics)
        mapped = events.with_columns(connected=pl.col("outcome").is_in(connects)).join(
            mapping, on=["label", "connected"]
        )
        # Eager steps: on a day's events, a lazy plan costs more to optimise than it saves.
        return mapped.select(
            pl.col("occurred_at").cast(pl.Datetime("us")),
            pl.col("rep_id").cast(pl.Int32),
            "metric",
            actual=pl.when(amount).then(pl.col("amount")).otherwise(pl.lit(1.0)),
        ).sort("occurred_at", "rep_id", "metric", "actual")  # every column: the same rows in one order, however read

    return ctx.memoised(("day_events", day), read, activity_before=day + timedelta(days=1))


def _mapping(ctx: Context) -> tuple[pl.DataFrame, list[str]]:
    """The catalog's mapping as a frame (label, connected) -> metric, and the connect outcome labels.

    `Catalog.metrics_for` depends on the outcome only through "is it a
    connect", so every known activity label with and without a connect covers
    every event, and a day's events map with one join.
    """

    def build() -> tuple[pl.DataFrame, list[str]]:
        catalog = ctx.catalog
        connects = sorted(label for label, klass in catalog.outcome_classes.items() if klass == "connect")
        outcomes = [(False, "")] + ([(True, connects[0])] if connects else [])
        rows = [
            (label, is_connect, metric)
            for label in catalog.activity_classes
            for is_connect, outcome in outcomes
            for metric in catalog.metrics_for(label, outcome)
        ]
        schema = {"label": pl.String, "connected": pl.Boolean, "metric": pl.String}
        return pl.DataFrame(rows, schema=schema, orient="row"), connects

    return ctx.memoised(("mapping",), build, setup_only=True)


# -- team totals, first weeks, weeks with data --------------------------------


def team_totals(store: Store, ctx: Context, team: str, start: date, end: date) -> dict[str, float]:
    """The active reps of `team`: totals per metric over days [start, end) (memoised).

    Summed in SQL, so a few rows come back instead of one per rep and week.
    """

    def read() -> dict[str, float]:
        if start >= end:
            return {}
        sql, params = _rollup_sql(ctx, Scope(team=team), start, end, tuple(ctx.catalog.metrics))
        # Summed exactly: a float sum depends on the order rows arrive in, which a lake does not fix,
        # and the same team must total the same to the last digit however often it is read.
        rows = store.fetchall(f"SELECT metric, sum(actual::DECIMAL(38, 6)) FROM ({sql}) GROUP BY metric", params)
        return {str(metric): float(total) for metric, total in rows}

    return ctx.memoised(("team_totals", team, start, end), read, activity_before=end)


def first_weeks_in(store: Store, ctx: Context, start: date, end: date) -> pl.DataFrame:
    """rep_id, first_week: each rep's first week with data, as far as weeks start..end (exclusive) can tell.

    Weeks before a rep's data begins are not misses: the rep was not here
    yet, or their history was never uploaded. A rep with any data before
    `start` gets `start` (every week shown counts), so only reps whose data
    may begin inside the window need their older history looked at.
    """

    def read() -> pl.DataFrame:
        inside = _firsts(store, ctx, start, end)
        firsts = {int(rep_id): _week_start(day, ctx) for rep_id, day in inside.iter_rows()}
        unsure = [r for r in ctx.reps.get_column("rep_id").to_list() if firsts.get(r, end) > start]
        if unsure:
            older = store.fetchall(
                "SELECT DISTINCT rep_id FROM daily_rollups WHERE day < ? AND rep_id IN (SELECT unnest(?::INTEGER[]))",
                [start, unsure],
            )
            firsts.update({int(rep_id): start for (rep_id,) in older})
        return pl.DataFrame(
            {"rep_id": list(firsts), "first_week": list(firsts.values())},
            schema={"rep_id": pl.Int32, "first_week": pl.Date},
        )

    return ctx.memoised(("first_weeks_in", start, end), read, activity_before=end)


def _firsts(store: Store, ctx: Context, start: date, end: date) -> pl.DataFrame:
    """rep_id, first_day: each rep's first day (or week start) with data in [start, end)."""
    if ctx.weeks_rolled_up and start == _week_start(start, ctx) and end == _week_start(end, ctx):
        sql = (
            "SELECT rep_id, min(week_start) FROM weekly_rollups "
            "WHERE week_start >= ? AND week_start < ? GROUP BY rep_id"
        )
    else:
        sql = "SELECT rep_id, min(day) FROM daily_rollups WHERE day >= ? AND day < ? GROUP BY rep_id"
    return store.frame(sql, [start, end])


def weeks_with_data(store: Store, ctx: Context, scope: Scope, weeks: Sequence[date]) -> pl.DataFrame:
    """rep_id, week_start: the reps in `scope` with any recorded activity in each of the weeks starting on `weeks`."""
    who, who_params = scope.sql()
    if ctx.weeks_rolled_up:
        sql = (
            "SELECT DISTINCT rep_id, week_start FROM weekly_rollups "
            f"WHERE list_contains(?::DATE[], week_start) AND {who}"
        )
        params: list[Any] = [list(weeks), *who_params]
    else:
        sql = (
            f"SELECT DISTINCT rep_id, {week_start_sql('day')} AS week_start FROM daily_rollups "
            f"WHERE list_contains(?::DATE[], {week_start_sql('day')}) AND {who}"
        )
        params = [ctx.settings.week_start, list(weeks), ctx.settings.week_start, *who_params]
    return store.frame(sql, params).cast({"rep_id": pl.Int32, "week_start": pl.Date})
