"""Shared building blocks of the scores: the cached team context and scored cells.

A *cell* is one rep × period × metric with its actual, its prorated goal and
its pace. Every view (personal, team, flash) is a projection of cells, built
with a handful of range-filtered queries and vectorised in Polars, so the cost
follows the size of the window shown, not the length of the history.

Caches are keyed on the store's data version: any committed write (an upload,
a goal, a setting, a mapping change) makes every cached value unreachable.
Within one version, what cannot move with `as_of` (rollups before as_of's day,
a day's events, goals, finished weeks) is kept, so a live page re-run only cuts
today's events at its as_of and recomputes pace.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

import polars as pl

from scorecard.calendar import Period, WorkingTime, team_working_days, working_time
from scorecard.catalog import Catalog, load_catalog
from scorecard.roster import Rep, match_key
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Store

__all__ = [
    "Context",
    "Rep",
    "UnknownRep",
    "actuals",
    "context",
    "find_rep",
    "first_weeks",
    "first_weeks_in",
    "prime_team_reads",
    "pto_in",
    "rep_from_row",
    "reps_by_id",
    "scope_reps",
    "scored_cells",
    "team_totals_key",
    "week_cells",
]

_MEMO_LIMIT = 4096  # entries; a few per rep viewed, a few per team view
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


class UnknownRep(LookupError):
    """No rep with that slug (or email, or name) exists."""


@dataclass
class Context:
    """What every score needs, read once per data version.

    `memo` holds derived values for this version only; it is read with `.get`
    (never `in` then `[]`) because another thread may evict an entry in between.
    """

    version: int
    settings: TeamSettings
    catalog: Catalog
    reps: pl.DataFrame  # rep_id, slug, display_name, email, aliases, team, active, is_demo
    goal_rows: pl.DataFrame  # rep_id, metric, weekly_goal, effective_from (latest set_at per day)
    pto: pl.DataFrame  # rep_id, day
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    @property
    def amount_metrics(self) -> list[str]:
        return [m.key for m in self.catalog.metrics.values() if m.measure == "amount"]

    def remember(self, key: tuple[Any, ...], value: Any) -> Any:
        """Keep `value` for this data version; the oldest entry goes when the memo is full."""
        memo = self.memo
        if len(memo) >= _MEMO_LIMIT:
            with contextlib.suppress(KeyError, StopIteration, RuntimeError):
                del memo[next(iter(memo))]
        memo[key] = value
        return value


# Keyed on the Store object (weakly): a restored or rebuilt file gets a new Store,
# so a version number can never be matched against another file's data.
_contexts: weakref.WeakKeyDictionary[Store, Context] = weakref.WeakKeyDictionary()
_contexts_lock = threading.Lock()


def context(store: Store) -> Context:
    """The team context for the store's current data version (cached)."""
    version = store.data_version()
    cached = _contexts.get(store)
    if cached is not None and cached.version == version:
        return cached
    ctx = Context(
        version=version,
        settings=load_settings(store),
        catalog=load_catalog(store),
        # Sorted here rather than in SQL: cheaper for a thousand rows, same (binary) order.
        reps=store.frame("SELECT rep_id, slug, display_name, email, aliases, team, active, is_demo FROM reps").sort(
            "display_name", "rep_id"
        ),
        goal_rows=store.frame(
            """
            SELECT rep_id, metric, weekly_goal, effective_from
            FROM goals
            QUALIFY row_number() OVER (PARTITION BY rep_id, metric, effective_from ORDER BY set_at DESC) = 1
            ORDER BY effective_from
            """
        ),
        pto=store.frame("SELECT rep_id, day FROM pto"),
    )
    with _contexts_lock:
        _contexts[store] = ctx
    return ctx


def rep_from_row(row: dict[str, Any]) -> Rep:
    return Rep(
        rep_id=int(row["rep_id"]),
        slug=str(row["slug"]),
        display_name=str(row["display_name"]),
        email=row["email"],
        aliases=tuple(row["aliases"] or ()),
        team=str(row["team"]),
        active=bool(row["active"]),
        is_demo=bool(row["is_demo"]),
    )


def reps_by_id(ctx: Context) -> dict[int, Rep]:
    """Every rep as a `Rep`, built once per data version."""
    key = ("reps_by_id",)
    result: dict[int, Rep] | None = ctx.memo.get(key)
    if result is None:
        # Column by column: a dict per row would cost more than the `Rep`s themselves.
        columns = [
            ctx.reps.get_column(name).to_list()
            for name in ("rep_id", "slug", "display_name", "email", "aliases", "team", "active", "is_demo")
        ]
        result = {
            int(rep_id): Rep(
                rep_id=int(rep_id),
                slug=str(slug),
                display_name=str(name),
                email=email,
                aliases=tuple(aliases or ()),
                team=str(team),
                active=bool(active),
                is_demo=bool(is_demo),
            )
            for rep_id, slug, name, email, aliases, team, active, is_demo in zip(*columns, strict=True)
        }
        ctx.remember(key, result)
    return result


def find_rep(ctx: Context, key: str) -> Rep:
    """A rep by slug, else by email, display name or alias (case-insensitive)."""
    wanted = match_key(key)
    # The usual key is a slug: find its row without building a `Rep` per team member
    # (a thousand of them would be most of a cold scorecard's Python time).
    row = _slug_rows(ctx).get(key)
    if row is not None:
        return rep_from_row(ctx.reps.row(row, named=True))
    people = reps_by_id(ctx)
    for field_of in (
        lambda r: [r.slug],
        lambda r: [r.email or ""],
        lambda r: [r.display_name],
        lambda r: list(r.aliases),
    ):
        for rep in people.values():
            if any(match_key(v) == wanted for v in field_of(rep)):
                return rep
    known = ", ".join(ctx.reps.get_column("slug").head(10).to_list())
    hint = f" Known reps: {known}{' …' if ctx.reps.height > 10 else ''}." if known else " No reps are loaded yet."
    raise UnknownRep(f"No rep matches {key!r}.{hint}")


def _slug_rows(ctx: Context) -> dict[str, int]:
    """Slug -> row of `ctx.reps` (the first, as the reps' display order would find it)."""
    key = ("slug_rows",)
    result: dict[str, int] | None = ctx.memo.get(key)
    if result is None:
        result = {}
        for i, slug in enumerate(ctx.reps.get_column("slug").to_list()):
            result.setdefault(slug, i)
        ctx.remember(key, result)
    return result


def scope_reps(ctx: Context, team: str | None, *, include: int | None = None) -> pl.DataFrame:
    """Active reps of `team` (all teams for None), plus rep `include` whatever its state."""
    key = ("scope", team, include)
    cached: pl.DataFrame | None = ctx.memo.get(key)
    if cached is not None:
        return cached
    cond = pl.col("active")
    if team is not None:
        cond = cond & (pl.col("team") == team)
    if include is not None:
        cond = cond | (pl.col("rep_id") == include)
    result: pl.DataFrame = ctx.remember(key, ctx.reps.filter(cond))
    return result


# -- actuals ---------------------------------------------------------------


def _week_start_sql() -> str:
    # Python weekday = isodow - 1; bucket each day to the start of its week.
    return "day - CAST((isodow(day) - 1 - ? + 7) % 7 AS INTEGER)"


_SCOPE_SQL = "rep_id IN (SELECT rep_id FROM reps WHERE active AND (CAST(? AS VARCHAR) IS NULL OR team = ?))"


def actuals(
    store: Store,
    ctx: Context,
    team: str | None,
    start: date,
    end: date,
    as_of: datetime,
    *,
    period_start: date,
    focus: int | None = None,
    only: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Actuals per rep, week and metric for days start..end inclusive, as of `as_of`.

    Scope: active reps of `team` (every team for None) plus rep `focus`. When
    `focus` is set, other reps are read from `period_start` on only (the
    current period is all a comparison needs). Rollups cover the days before
    as_of's day; as_of's own day comes from its events up to as_of, mapped
    through the catalog, so events after as_of never count. `only` limits the
    metrics read. Returns rep_id, week_start, in_period (day >= period_start),
    metric, actual; a key may appear twice (from rollups and from today's
    events), so callers sum by the keys they need.

    Rollups cannot change until the next write or the next day, so they are
    memoised per data version, the team's part apart from one rep's history
    (shared by every teammate's scorecard); a live re-run reads today's events
    from memory.
    """
    wanted = tuple(ctx.catalog.metrics) if only is None else tuple(only)
    cutoff = min(as_of.date(), end + timedelta(days=1))
    scope = scope_reps(ctx, team).get_column("rep_id")
    if focus is None:
        rolled = _rollups(store, ctx, team, None, start, cutoff, period_start, wanted)
    else:
        in_scope = focus in set(scope.to_list())
        team_part = _rollups(store, ctx, team, None, max(start, period_start), cutoff, period_start, wanted)
        own_end = min(period_start, cutoff) if in_scope else cutoff
        rolled = pl.concat([team_part, _rollups(store, ctx, None, focus, start, own_end, period_start, wanted)])
    day_open = max(datetime.combine(as_of.date(), time.min), datetime.combine(start, time.min))
    day_close = min(as_of, datetime.combine(end, time.max))
    if day_open > day_close:
        return rolled
    ids = scope if focus is None else pl.concat([scope, pl.Series([focus], dtype=scope.dtype)])
    today = _event_actuals(store, ctx, ids, day_open, day_close, period_start, wanted)
    return pl.concat([rolled, today]) if today.height else rolled


def _with_actual(ctx: Context, frame: FrameT) -> FrameT:
    amount = pl.col("metric").is_in(ctx.amount_metrics)
    return frame.select(
        pl.col("rep_id").cast(pl.Int32),
        pl.col("week_start").cast(pl.Date),
        pl.col("in_period").cast(pl.Boolean),
        pl.col("metric").cast(pl.String),
        actual=pl.when(amount).then(pl.col("amount")).otherwise(pl.col("n")).cast(pl.Float64),
    )


def _rollups_key(
    team: str | None, rep: int | None, start: date, cutoff: date, period_start: date, wanted: tuple[str, ...]
) -> tuple[Any, ...]:
    return ("rollups", team, rep, start, cutoff, period_start, wanted)


def _rollups(
    store: Store,
    ctx: Context,
    team: str | None,
    rep: int | None,
    start: date,
    cutoff: date,
    period_start: date,
    wanted: tuple[str, ...],
) -> pl.DataFrame:
    """Rollups of days [start, cutoff) per rep and week: of one `rep`, or of the active reps of `team`."""
    key = _rollups_key(team, rep, start, cutoff, period_start, wanted)
    cached: pl.DataFrame | None = ctx.memo.get(key)
    if cached is not None:
        return cached
    who = "rep_id = ?" if rep is not None else _SCOPE_SQL
    who_params: list[Any] = [rep] if rep is not None else [team, team]
    frame = store.frame(
        f"""
        SELECT rep_id, {_week_start_sql()} AS week_start, day >= ? AS in_period, metric,
               sum(n)::DOUBLE AS n, sum(amount)::DOUBLE AS amount
        FROM daily_rollups
        WHERE day >= ? AND day < ? AND list_contains(?::VARCHAR[], metric) AND {who}
        GROUP BY ALL
        """,
        [ctx.settings.week_start, period_start, start, cutoff, list(wanted), *who_params],
    )
    result: pl.DataFrame = ctx.remember(key, _with_actual(ctx, frame))
    return result


def team_totals_key(team: str, start: date, end: date) -> tuple[Any, ...]:
    """The memo key of a team's totals per metric over days [start, end)."""
    return ("team_totals", team, start, end)


def prime_team_reads(
    store: Store,
    ctx: Context,
    team: str,
    start: date,
    cutoff: date,
    period_start: date,
    wanted: tuple[str, ...],
    totals: tuple[date, date],
) -> None:
    """Memoise, with one query, what a rep's card reads of the team after a write.

    That is the team's rollups of days [start, cutoff) (as `_rollups` would
    read them for `actuals`, so it finds them memoised) and the team's totals
    per metric over days `totals` (start inclusive, end exclusive; every
    metric, as the ratios and the funnel need them), already summed over reps
    in SQL so only a few rows come back for them. One round trip instead of
    two; when either part is already memoised (a teammate's card was built),
    nothing is read here and the callers read what is missing.
    """
    part_key = _rollups_key(team, None, start, cutoff, period_start, wanted)
    totals_key = team_totals_key(team, *totals)
    if ctx.memo.get(part_key) is not None or ctx.memo.get(totals_key) is not None:
        return
    t_start, t_end = totals
    # The rollup part per rep and week, then the totals per metric, tagged by `in_part`.
    frame = store.frame(
        f"""
        SELECT rep_id, {_week_start_sql()} AS week_start, day >= ? AS in_period, metric,
               sum(n)::DOUBLE AS n, sum(amount)::DOUBLE AS amount, TRUE AS in_part
        FROM daily_rollups
        WHERE day >= ? AND day < ? AND list_contains(?::VARCHAR[], metric) AND {_SCOPE_SQL}
        GROUP BY ALL
        UNION ALL
        SELECT NULL, NULL, NULL, metric, sum(n)::DOUBLE, sum(amount)::DOUBLE, FALSE
        FROM daily_rollups JOIN (SELECT rep_id FROM reps WHERE active AND team = ?) USING (rep_id)
        WHERE day >= ? AND day < ?
        GROUP BY metric
        """,
        [ctx.settings.week_start, period_start, start, cutoff, list(wanted), team, team, team, t_start, t_end],
    )
    part = frame.filter(pl.col("in_part")).select("rep_id", "week_start", "in_period", "metric", "n", "amount")
    ctx.remember(part_key, _with_actual(ctx, part))
    sums = frame.filter(~pl.col("in_part")).select("metric", "n", "amount")
    amounts = set(ctx.amount_metrics)
    ctx.remember(totals_key, {str(m): float(a if m in amounts else n) for m, n, a in sums.iter_rows()})


def _event_actuals(
    store: Store,
    ctx: Context,
    rep_ids: pl.Series,
    day_open: datetime,
    day_close: datetime,
    period_start: date,
    wanted: tuple[str, ...],
) -> pl.DataFrame:
    """One day's events of `rep_ids` from `day_open` to `day_close`, mapped to metrics."""
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
            week_start=pl.lit(_week_start(day, ctx.settings)),
            in_period=pl.lit(day >= period_start),
            metric="metric",
            actual="actual",
        )
    )


def _day_events(store: Store, ctx: Context, day: date) -> pl.DataFrame:
    """A whole day's events, one row per event and metric, sorted by time.

    Memoised per data version: events only change with a write, so a live page
    re-run just cuts this at its as_of instead of querying again.
    """
    key = ("day_events", day)
    cached: pl.DataFrame | None = ctx.memo.get(key)
    if cached is not None:
        return cached
    # One row per event (n = 1): events rarely share a moment, so grouping them
    # in SQL costs more than it saves; callers sum by rep and metric anyway.
    grouped = store.frame(
        """
        SELECT occurred_at, rep_id, coalesce(activity_label, '') AS label, coalesce(outcome_label, '') AS outcome,
               1.0::DOUBLE AS n, coalesce(amount, 0)::DOUBLE AS amount
        FROM events WHERE occurred_at >= ? AND occurred_at < ?
        """,
        [datetime.combine(day, time.min), datetime.combine(day + timedelta(days=1), time.min)],
    )
    mapping, connects = _mapping_frame(ctx)
    amount = pl.col("metric").is_in(ctx.amount_metrics)
    # One lazy chain: a single collect instead of one per step.
    mapped = (
        grouped.lazy()
        .with_columns(connected=pl.col("outcome").is_in(connects))
        .join(mapping.lazy(), on=["label", "connected"])
        .select(
            pl.col("occurred_at").cast(pl.Datetime("us")),
            pl.col("rep_id").cast(pl.Int32),
            "metric",
            actual=pl.when(amount).then(pl.col("amount")).otherwise(pl.col("n")),
        )
        .sort("occurred_at")
        .collect()
    )
    result: pl.DataFrame = ctx.remember(key, mapped)
    return result


def _mapping_frame(ctx: Context) -> tuple[pl.DataFrame, list[str]]:
    """The catalog's mapping as a frame (label, connected) -> metric, and the connect outcome labels.

    `Catalog.metrics_for` depends on the outcome only through "is it a
    connect", so every known activity label with and without a connect covers
    every event, and a day's events map with one join.
    """
    key = ("mapping_frame",)
    result: tuple[pl.DataFrame, list[str]] | None = ctx.memo.get(key)
    if result is None:
        catalog = ctx.catalog
        connects = sorted(label for label, klass in catalog.outcome_classes.items() if klass == "connect")
        outcomes = [(False, "")] + ([(True, connects[0])] if connects else [])
        rows = [
            (label, is_connect, metric)
            for label in catalog.activity_classes
            for is_connect, outcome in outcomes
            for metric in catalog.metrics_for(label, outcome)
        ]
        frame = pl.DataFrame(
            rows, schema={"label": pl.String, "connected": pl.Boolean, "metric": pl.String}, orient="row"
        )
        result = (frame, connects)
        ctx.remember(key, result)
    return result


def _week_start(day: date, settings: TeamSettings) -> date:
    return day - timedelta(days=(day.weekday() - settings.week_start) % 7)


def first_weeks(store: Store, ctx: Context) -> pl.DataFrame:
    """rep_id, first_week: the start of the week of each rep's first recorded activity.

    Weeks before a rep's data begins are not misses: the rep was not here yet,
    or their history was never uploaded.
    """
    key = ("first_weeks",)
    frame: pl.DataFrame | None = ctx.memo.get(key)
    if frame is None:
        frame = store.frame(
            f"SELECT rep_id, min({_week_start_sql()}) AS first_week FROM daily_rollups GROUP BY rep_id",
            [ctx.settings.week_start],
        ).cast({"rep_id": pl.Int32})
        ctx.remember(key, frame)
    return frame


def first_weeks_in(store: Store, ctx: Context, start: date, end: date) -> pl.DataFrame:
    """`first_weeks` as far as weeks start..end (exclusive) can tell: rep_id, first_week.

    A cell is kept from its rep's first week on, so within the window only reps
    whose data begins inside it need their true first week; a rep with any
    data before `start` gets `start` (every week shown counts). Reading the
    window's days, and the older history only for reps that may begin inside
    it, avoids grouping a rep's whole history on every write.
    """
    key = ("first_weeks_in", start, end)
    frame: pl.DataFrame | None = ctx.memo.get(key)
    if frame is not None:
        return frame
    inside = store.frame(
        "SELECT rep_id, min(day) AS first_day FROM daily_rollups WHERE day >= ? AND day < ? GROUP BY rep_id",
        [start, end],
    )
    firsts = {int(rep_id): _week_start(day, ctx.settings) for rep_id, day in inside.iter_rows()}
    # Reps who start late in the window (or not at all) may still have older data.
    unsure = [rep_id for rep_id in ctx.reps.get_column("rep_id").to_list() if firsts.get(rep_id, end) > start]
    if unsure:
        older = store.fetchall(
            "SELECT DISTINCT rep_id FROM daily_rollups WHERE day < ? AND list_contains(?::INTEGER[], rep_id)",
            [start, unsure],
        )
        firsts.update({int(rep_id): start for (rep_id,) in older})
    frame = pl.DataFrame(
        {"rep_id": list(firsts), "first_week": list(firsts.values())},
        schema={"rep_id": pl.Int32, "first_week": pl.Date},
    )
    result: pl.DataFrame = ctx.remember(key, frame)
    return result


# -- goals and working time ------------------------------------------------


def goals_for(ctx: Context, rep_ids: pl.Series, periods: Sequence[Period]) -> pl.DataFrame:
    """Weekly goals in force per rep, period and metric: rep_id, period_start, metric, weekly_goal.

    Same rule as `scorecard.goals.weekly_goals`, for many periods at once: the
    latest goal row effective on or before the period's last day, else the
    catalog default; an empty goal row means no goal. Only pairs with a goal.
    """
    defaults = {m.key: m.default_weekly_goal for m in ctx.catalog.metrics.values()}
    rep_ids = rep_ids.cast(pl.Int32)
    with_rows = rep_ids.is_in(ctx.goal_rows.get_column("rep_id").cast(pl.Int32).implode())
    if not with_rows.all():
        # Reps without goal rows of their own have the catalog defaults in every
        # period: no as-of join is needed for them (usually most of a team).
        by_default = (
            pl.LazyFrame({"rep_id": rep_ids.filter(~with_rows)})
            .join(
                pl.LazyFrame(
                    {
                        "metric": [m for m, v in defaults.items() if v is not None],
                        "weekly_goal": [float(v) for v in defaults.values() if v is not None],
                    },
                    schema={"metric": pl.String, "weekly_goal": pl.Float64},
                ),
                how="cross",
            )
            .join(
                pl.LazyFrame({"period_start": [p.start for p in periods]}, schema={"period_start": pl.Date}),
                how="cross",
            )
            .select("rep_id", "period_start", "metric", "weekly_goal")
            .collect()
        )
        if not with_rows.any():
            return by_default
        return pl.concat([goals_for(ctx, rep_ids.filter(with_rows), periods), by_default])
    grid = (
        pl.LazyFrame({"rep_id": rep_ids})
        .join(pl.LazyFrame({"metric": list(defaults)}, schema={"metric": pl.String}), how="cross")
        .join(
            pl.LazyFrame(
                {"period_start": [p.start for p in periods], "period_end": [p.end for p in periods]},
                schema={"period_start": pl.Date, "period_end": pl.Date},
            ),
            how="cross",
        )
        .sort("period_end")
    )
    own = (
        ctx.goal_rows.lazy()
        .filter(pl.col("rep_id").is_in(rep_ids.implode()))
        .select(pl.col("rep_id").cast(pl.Int32), "metric", pl.col("weekly_goal").alias("own_goal"), "effective_from")
        .sort("effective_from")
    )
    default_frame = pl.LazyFrame(
        {"metric": list(defaults), "default_goal": [None if v is None else float(v) for v in defaults.values()]},
        schema={"metric": pl.String, "default_goal": pl.Float64},
    )
    return (
        grid.join_asof(
            own, left_on="period_end", right_on="effective_from", by=["rep_id", "metric"], check_sortedness=False
        )
        .join(default_frame, on="metric", how="left")
        .with_columns(
            weekly_goal=pl.when(pl.col("effective_from").is_null())
            .then(pl.col("default_goal"))
            .otherwise(pl.col("own_goal"))
        )
        .filter(pl.col("weekly_goal").is_not_null())
        .select("rep_id", "period_start", "metric", "weekly_goal")
        .collect()
    )


def hours_for(ctx: Context, rep_ids: pl.Series, periods: Sequence[Period], as_of: datetime) -> pl.DataFrame:
    """Working hours per rep and period: rep_id, period_start, available, elapsed.

    The team's working time is computed once per period; only reps with PTO in
    a period get a calculation of their own.
    """
    settings = ctx.settings
    team = pl.DataFrame(
        [(p.start, *_hours(working_time(p, as_of, settings))) for p in periods],
        schema={"period_start": pl.Date, "available": pl.Float64, "elapsed": pl.Float64},
        orient="row",
    )
    base = pl.DataFrame({"rep_id": rep_ids.cast(pl.Int32)}).join(team, how="cross")
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    pto = ctx.pto.filter(pl.col("day").is_between(first, last) & pl.col("rep_id").is_in(rep_ids.implode()))
    if pto.is_empty():
        return base
    own_rows = []
    for rep_id, days in pto.group_by("rep_id").agg("day").iter_rows():
        day_set = set(days)
        for p in periods:
            mine = {d for d in day_set if p.contains(d)}
            if mine:
                own_rows.append((int(rep_id), p.start, *_hours(working_time(p, as_of, settings, mine))))
    own = pl.DataFrame(
        own_rows,
        schema={"rep_id": pl.Int32, "period_start": pl.Date, "available": pl.Float64, "elapsed": pl.Float64},
        orient="row",
    )
    return base.update(own, on=["rep_id", "period_start"])


def _hours(wt: WorkingTime) -> tuple[float, float]:
    return wt.available_hours, wt.elapsed_hours


def pto_in(ctx: Context, rep_id: int, period: Period) -> set[date]:
    """A rep's PTO days in a period."""
    rows = ctx.pto.filter((pl.col("rep_id") == rep_id) & pl.col("day").is_between(period.start, period.end))
    return set(rows.get_column("day").to_list())


def last_working_day(ctx: Context, period: Period, pto: set[date]) -> date | None:
    days = [d for d in team_working_days(period, ctx.settings) if d not in pto]
    return days[-1] if days else None


# -- scoring ---------------------------------------------------------------


def score(cells: FrameT, settings: TeamSettings, standard_hours: float) -> FrameT:
    """Add goal, f, expected, pace, projected and status to cells.

    Needs rep_id, metric, actual, weekly_goal (null = no goal), available,
    elapsed. The pace rules of DESIGN.md with the prorated period goal.
    """
    return cells.with_columns(_score_exprs(settings.on_pace_at, settings.at_risk_from, standard_hours))


def status_of(pace: float | None, settings: TeamSettings) -> str | None:
    """DESIGN.md "Status" for one pace (the frame version is in `_score_exprs`)."""
    if pace is None:
        return None
    if pace >= settings.on_pace_at:
        return "on_pace"
    return "at_risk" if pace >= settings.at_risk_from else "behind"


@functools.lru_cache(maxsize=32)
def _score_exprs(on_pace_at: float, at_risk_from: float, standard_hours: float) -> list[pl.Expr]:
    actual = pl.col("actual")
    goal = pl.col("weekly_goal") * pl.col("available") / standard_hours
    fraction = pl.when(pl.col("available") > 0).then(pl.col("elapsed") / pl.col("available"))
    expected = goal * fraction.fill_null(0.0)
    pace = pl.when(expected > 0).then(actual / expected)
    status = (
        pl.when(pace.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(pace >= on_pace_at)
        .then(pl.lit("on_pace"))
        .when(pace >= at_risk_from)
        .then(pl.lit("at_risk"))
        .otherwise(pl.lit("behind"))
    )
    return [
        goal.alias("goal"),
        fraction.alias("fraction"),
        expected.alias("expected"),
        pace.alias("pace"),
        pl.when(fraction > 0).then(actual / fraction).alias("projected"),
        status.alias("status"),
    ]


def team_goals(ctx: Context, rep_ids: pl.Series, periods: Sequence[Period], scope: tuple[Any, ...]) -> pl.DataFrame:
    """`goals_for`, memoised per data version: goals do not depend on as_of."""
    key = ("goals", scope, tuple(periods))
    goals: pl.DataFrame | None = ctx.memo.get(key)
    if goals is None:
        goals = ctx.remember(key, goals_for(ctx, rep_ids.cast(pl.Int32), periods))
    return goals


def scored_cells(
    ctx: Context,
    got: pl.DataFrame,
    rep_ids: pl.Series,
    periods: Sequence[Period],
    as_of: datetime,
    *,
    scope: tuple[Any, ...],
) -> pl.DataFrame:
    """Scored cells for `rep_ids` over `periods` from actuals (rep_id, period_start, metric, actual).

    Columns: rep_id, period_start, metric, actual, weekly_goal, goal, available,
    elapsed, fraction, expected, pace, projected, status. A cell exists when the
    rep has a goal for the metric or any activity in it. Goals and the working
    time of finished periods do not depend on as_of, so they are memoised per
    data version under `scope` (which must identify `rep_ids`).
    """
    rep_ids = rep_ids.cast(pl.Int32)
    periods = list(periods)
    goals = team_goals(ctx, rep_ids, periods, scope)
    today = as_of.date()
    done = [p for p in periods if p.end < today]
    live = [p for p in periods if p.end >= today]
    parts = []
    if done:
        hours_key = ("hours", scope, tuple(done))
        finished = ctx.memo.get(hours_key)
        if finished is None:
            finished = ctx.remember(hours_key, hours_for(ctx, rep_ids, done, as_of))
        parts.append(finished)
    if live:
        parts.append(hours_for(ctx, rep_ids, live, as_of))
    hours = pl.concat(parts) if len(parts) > 1 else parts[0]
    keys = ["rep_id", "period_start", "metric"]
    joined = (
        goals.join(got.select(keys + ["actual"]), on=keys, how="full", coalesce=True)
        .with_columns(actual=pl.col("actual").fill_null(0.0))
        .join(hours, on=["rep_id", "period_start"], how="inner")
    )
    standard = working_time(periods[0], as_of, ctx.settings).standard_week_hours
    return score(joined, ctx.settings, standard)


def week_cells(
    store: Store,
    ctx: Context,
    reps: pl.DataFrame,
    team: str | None,
    weeks: Sequence[Period],
    as_of: datetime,
    *,
    with_goals_only: bool = False,
) -> pl.DataFrame:
    """Scored cells of the active reps of `team` (`reps`) for consecutive weeks.

    `with_goals_only` reads only metrics that someone in scope has a goal for.
    """
    rep_ids = reps.get_column("rep_id")
    scope = ("team", team)
    only = None
    if with_goals_only:
        only = team_goals(ctx, rep_ids, weeks, scope).get_column("metric").unique().to_list()
    got = actuals(store, ctx, team, weeks[0].start, weeks[-1].end, as_of, period_start=weeks[-1].start, only=only)
    got = (
        got.group_by("rep_id", "week_start", "metric")
        .agg(pl.col("actual").sum())
        .rename({"week_start": "period_start"})
    )
    return scored_cells(ctx, got, rep_ids, weeks, as_of, scope=scope)
