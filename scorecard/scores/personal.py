"""The personal scorecard: one rep against their own goals, live during the period."""

from __future__ import annotations

import bisect
import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from scorecard.calendar import Period, PeriodKind, WorkingTime, last_weeks, period_for, working_time
from scorecard.catalog import Catalog, Metric
from scorecard.funnel import funnel_values
from scorecard.scores._base import (
    Context,
    Rep,
    actuals,
    context,
    find_rep,
    last_working_day,
    prime_team_reads,
    pto_in,
    scope_reps,
    scored_cells,
    team_totals_key,
)
from scorecard.settings import WEEKDAY_NAMES
from scorecard.store import Store

TREND_WEEKS = 12
STREAK_WINDOW_WEEKS = 26  # streaks are counted back at most this far


@dataclass(frozen=True)
class MetricScore:
    metric: str
    label: str
    kind: str
    unit: str
    actual: float
    weekly_goal: float | None
    goal: float | None  # prorated to the rep's working time in the period
    expected_to_date: float | None
    pace: float | None
    projected: float | None
    status: str | None
    team_median: float | None
    percentile: float | None  # share of the team (0–100) at or below this actual
    streak_weeks: int
    trend: list[float]  # the last 12 weeks' actuals, oldest first (the current week to date last)
    summary: str


@dataclass(frozen=True)
class RatioScore:
    key: str
    label: str
    format: str  # percent | currency
    rep_value: float | None
    team_value: float | None
    coaching: str


@dataclass(frozen=True)
class OneThing:
    metric: str
    label: str
    shortfall: float  # against pace now, or to the full goal when on pace
    value_per_unit: float
    reason: str


@dataclass(frozen=True)
class RepScorecard:
    rep: Rep
    as_of: datetime
    period: Period
    working_time: WorkingTime
    metrics: list[MetricScore]
    ratios: list[RatioScore]
    one_thing: OneThing | None
    weekly_trend: pl.DataFrame  # week_start, metric, actual, goal, pct_of_goal


def rep_scorecard(store: Store, rep: str, as_of: datetime, *, period_kind: PeriodKind = "week") -> RepScorecard:
    """A rep's scorecard as of `as_of` (naive, team-local). `rep` is a slug (or email/name).

    Raises UnknownRep when no rep matches.
    """
    ctx = context(store)
    who = find_rep(ctx, rep)
    settings = ctx.settings
    period = period_for(period_kind, as_of.date(), settings)
    weeks = last_weeks(as_of.date(), settings, max(STREAK_WINDOW_WEEKS, settings.rate_window_weeks) + 1)
    window_start = weeks[-1].start - timedelta(weeks=settings.rate_window_weeks)
    mine, own_now, team_now = _cells(store, ctx, who, period, weeks, as_of, window_start)
    pto = pto_in(ctx, who.rep_id, period)
    wt = working_time(period, as_of, settings, pto)
    peers = _peer_stats(ctx, team_now, who, period)
    by_cell = {(m, w): (a, g) for w, m, a, g in mine.select("period_start", "metric", "actual", "goal").iter_rows()}
    completed = [w.start for w in weeks[:-1]]
    trend_weeks = [w.start for w in weeks[-TREND_WEEKS:]]
    rows = {r["metric"]: r for r in own_now.iter_rows(named=True)}
    team_totals = _team_totals(store, ctx, who.team, window_start, weeks[-1].start)
    scores = [
        _metric_score(
            m,
            rows.get(m.key),
            peers.get(m.key),
            _streak([by_cell.get((m.key, w)) for w in reversed(completed)]),
            [float(by_cell.get((m.key, w), (0.0, None))[0]) for w in trend_weeks],
            wt,
            period,
        )
        for m in ctx.catalog.ordered()
    ]
    rep_totals: dict[str, float] = {}
    for (metric, week), (actual, _goal) in by_cell.items():
        if window_start <= week < weeks[-1].start:
            rep_totals[metric] = rep_totals.get(metric, 0.0) + float(actual)
    values = unit_values(ctx.catalog, team_totals)
    return RepScorecard(
        rep=who,
        as_of=as_of,
        period=period,
        working_time=wt,
        metrics=scores,
        ratios=_ratios(ctx.catalog, rep_totals, team_totals),
        one_thing=_one_thing(ctx, period, _by_when(last_working_day(ctx, period, pto), period), scores, values, wt),
        weekly_trend=_weekly_trend(mine, trend_weeks[0]),
    )


def _cells(
    store: Store, ctx: Context, who: Rep, period: Period, weeks: list[Period], as_of: datetime, window_start: date
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(the rep's scored weeks, the rep's scored period, the team's actuals in the period)."""
    start, end = weeks[0].start, max(weeks[-1].end, period.end)
    # After a write, read the team's period (which `actuals` then finds memoised,
    # under the same arguments) and its window totals in one query.
    prime_team_reads(
        store,
        ctx,
        who.team,
        max(start, period.start),
        min(as_of.date(), end + timedelta(days=1)),
        period.start,
        tuple(ctx.catalog.metrics),
        (window_start, weeks[-1].start),
    )
    got = actuals(store, ctx, who.team, start, end, as_of, period_start=period.start, focus=who.rep_id)
    me = pl.Series("rep_id", [who.rep_id], dtype=pl.Int32)
    history = (
        got.filter(pl.col("rep_id") == who.rep_id)
        .group_by("rep_id", "week_start", "metric")
        .agg(pl.col("actual").sum())
        .rename({"week_start": "period_start"})
    )
    mine = scored_cells(ctx, history, me, weeks, as_of, scope=("rep", who.rep_id))
    team_now = got.filter(pl.col("in_period")).group_by("rep_id", "metric").agg(pl.col("actual").sum())
    if period.kind == "week":
        return mine, mine.filter(pl.col("period_start") == period.start), team_now
    own = team_now.filter(pl.col("rep_id") == who.rep_id).with_columns(period_start=pl.lit(period.start))
    return mine, scored_cells(ctx, own, me, [period], as_of, scope=("rep", who.rep_id)), team_now


# -- pieces ----------------------------------------------------------------


def _peer_stats(ctx: Context, now: pl.DataFrame, who: Rep, period: Period) -> dict[str, tuple[float, float]]:
    """Per metric: (team median, the rep's percentile) among active teammates with a goal or activity.

    `now` holds one row per rep and metric with activity; teammates without a
    row count as zero. The percentile is the share of them at or below the rep.
    """
    key = ("goal_reps", who.team, period)
    with_goal: set[int] | None = ctx.memo.get(key)
    if with_goal is None:
        with_goal = ctx.remember(key, _reps_with_goal(ctx, scope_reps(ctx, who.team).get_column("rep_id"), period))
    team_size = len(with_goal | set(now.get_column("rep_id").unique().to_list()) | {who.rep_id})
    mine = dict(now.filter(pl.col("rep_id") == who.rep_id).select("metric", "actual").iter_rows())
    stats: dict[str, tuple[float, float]] = {}
    for metric, values in now.group_by("metric").agg(pl.col("actual")).iter_rows():
        everyone = sorted([0.0] * (team_size - len(values)) + list(values))
        own = mine.get(metric, 0.0)
        stats[metric] = (float(statistics.median(everyone)), 100 * bisect.bisect_right(everyone, own) / team_size)
    return stats


def _reps_with_goal(ctx: Context, rep_ids: pl.Series, period: Period) -> set[int]:
    """The reps among `rep_ids` with a goal for some metric in `period` (as `goals_for` decides).

    The same rule as `goals_for` (the latest goal row effective by the period's
    last day, else the catalog default; an empty row means no goal), read
    straight from the goal rows: a cold scorecard need not build the whole
    team's goal grid to learn who has a goal.
    """
    defaults = {m.key: m.default_weekly_goal for m in ctx.catalog.metrics.values()}
    # The goal in force per (rep, metric): goal rows are in effective_from order, so the last one wins.
    latest: dict[tuple[int, str], Any] = {}
    for rep_id, metric, weekly_goal, effective_from in ctx.goal_rows.iter_rows():
        if effective_from <= period.end and metric in defaults:
            latest[(int(rep_id), metric)] = weekly_goal
    own = {rep_id for rep_id, _metric in latest}
    # Without goal rows of their own, every rep has the same defaults.
    by_default = any(default is not None for default in defaults.values())
    result: set[int] = set()
    for rep_id in map(int, rep_ids.to_list()):
        if rep_id not in own:
            if by_default:
                result.add(rep_id)
        elif any(latest.get((rep_id, m), default) is not None for m, default in defaults.items()):
            result.add(rep_id)
    return result


def _weekly_trend(mine: pl.DataFrame, first: date) -> pl.DataFrame:
    return (
        mine.filter(pl.col("period_start") >= first)
        .select(
            pl.col("period_start").alias("week_start"),
            "metric",
            "actual",
            "goal",
            pct_of_goal=pl.when(pl.col("goal") > 0).then(pl.col("actual") / pl.col("goal")),
        )
        .sort("week_start", "metric")
    )


def _streak(weeks: list[tuple[float, float | None] | None]) -> int:
    """Completed weeks in a row, newest first, with actual ≥ goal.

    A week with no working time (PTO all week) neither counts nor breaks it;
    a week without a goal ends it.
    """
    streak = 0
    for cell in weeks:
        if cell is None:
            break
        actual, goal = cell
        if goal is None:
            break
        if goal > 0:
            if actual < goal:
                break
            streak += 1
    return streak


def _team_totals(store: Store, ctx: Context, team: str, start: date, end: date) -> dict[str, float]:
    """The team's totals per metric over completed weeks [start, end) (memoised per data version)."""
    key = team_totals_key(team, start, end)
    cached: dict[str, float] | None = ctx.memo.get(key)
    if cached is not None:
        return cached
    rows = store.fetchall(
        """
        SELECT metric, sum(n), sum(amount) FROM daily_rollups
        WHERE day >= ? AND day < ? AND rep_id IN (SELECT rep_id FROM reps WHERE team = ? AND active)
        GROUP BY metric
        """,
        [start, end, team],
    )
    amounts = set(ctx.amount_metrics)
    totals = {str(m): float(amt if m in amounts else n) for m, n, amt in rows}
    result: dict[str, float] = ctx.remember(key, totals)
    return result


def unit_values(catalog: Catalog, totals: dict[str, float]) -> dict[str, float]:
    """What one unit of each funnel metric weighs when choosing the one thing.

    The team funnel's revenue value per unit (`funnel.funnel_values`). Until
    the team has the history to value every step, later funnel steps simply
    weigh more (their position), so the choice stays sensible on day one.
    """
    values = funnel_values(catalog, totals)
    steps = catalog.funnel()
    if all(values.get(m.key, 0.0) > 0 for m in steps):
        return {m.key: values[m.key] for m in steps}
    return {m.key: float(m.funnel_step or 1) for m in steps}


def _ratios(catalog: Catalog, mine: dict[str, float], team: dict[str, float]) -> list[RatioScore]:
    def ratio(totals: dict[str, float], num: str, den: str) -> float | None:
        d = totals.get(den, 0.0)
        return totals.get(num, 0.0) / d if d > 0 else None

    return [
        RatioScore(
            key=r.key,
            label=r.label,
            format=r.format,
            rep_value=ratio(mine, r.numerator, r.denominator),
            team_value=ratio(team, r.numerator, r.denominator),
            coaching=r.coaching,
        )
        for r in catalog.ratios.values()
    ]


def _metric_score(
    metric: Metric,
    row: dict[str, Any] | None,
    peer: tuple[float, float] | None,
    streak: int,
    trend: list[float],
    wt: WorkingTime,
    period: Period,
) -> MetricScore:
    row = row or {}
    actual = float(row.get("actual") or 0.0)
    weekly_goal = row.get("weekly_goal")
    has_goal = weekly_goal is not None
    goal = _opt(row.get("goal")) if has_goal else None
    pace = _opt(row.get("pace")) if has_goal else None
    f = wt.fraction
    return MetricScore(
        metric=metric.key,
        label=metric.label,
        kind=metric.kind,
        unit=metric.unit,
        actual=actual,
        weekly_goal=_opt(weekly_goal),
        goal=goal,
        expected_to_date=_opt(row.get("expected")) if has_goal else None,
        pace=pace,
        projected=actual / f if f else None,
        status=row.get("status") if has_goal else None,
        team_median=peer[0] if peer else None,
        percentile=peer[1] if peer else None,
        streak_weeks=streak if has_goal else 0,
        trend=trend,
        summary=_summary(metric, actual, goal, pace, wt, period),
    )


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def _amount(metric: Metric, value: float) -> str:
    """A number in the metric's own terms: '5', '6.4', '$1,200'."""
    if metric.measure == "amount":
        return metric.units(value)
    return f"{round(value, 1):g}"


def _summary(
    metric: Metric, actual: float, goal: float | None, pace: float | None, wt: WorkingTime, period: Period
) -> str:
    """'5 of 8 meetings · 63% of pace'."""
    if goal is None:
        return metric.units(round(actual, 1))
    head = f"{_amount(metric, actual)} of {metric.units(round(goal, 1))}"
    if wt.available_hours <= 0:
        return f"{head} · on PTO all {period.kind}"
    if pace is None:
        return f"{head} · pace not started yet"
    return f"{head} · {pace:.0%} of pace"


def _more(metric: Metric, n: float) -> str:
    """'3 more meetings', '1 more meeting', '$1,200 more'."""
    if metric.measure == "amount":
        return f"{metric.units(n)} more"
    return f"{n:g} more {metric.unit_one if n == 1 else metric.unit}"


def _by_when(last_day: date | None, period: Period) -> str:
    """'Friday' for a week; 'Friday, Oct 30' for a longer period."""
    if last_day is None:
        return f"the end of the {period.kind}"
    name = WEEKDAY_NAMES[last_day.weekday()]
    return name if period.kind == "week" else f"{name}, {last_day:%b} {last_day.day}"


def _one_thing(
    ctx: Context,
    period: Period,
    by_when: str,
    scores: list[MetricScore],
    values: dict[str, float],
    wt: WorkingTime,
) -> OneThing | None:
    """The lead metric whose gap costs the most, weighted by what a unit is worth downstream."""
    candidates = [
        s for s in scores if s.kind == "lead" and s.goal and s.goal > 0 and not ctx.catalog.metrics[s.metric].vanity
    ]
    if not candidates:
        return None

    def worth(s: MetricScore) -> float:
        return values.get(s.metric, 1.0)

    def behind(s: MetricScore) -> float:
        return max(0.0, (s.expected_to_date or 0.0) - s.actual)

    def remaining(s: MetricScore) -> float:
        return max(0.0, (s.goal or 0.0) - s.actual)

    metric_of = ctx.catalog.metrics
    lagging = [s for s in candidates if behind(s) > 0]
    if lagging:
        pick = max(lagging, key=lambda s: behind(s) * worth(s))
        shortfall = behind(pick)
    else:
        open_goals = [s for s in candidates if remaining(s) > 0]
        if not open_goals:
            pick = min(candidates, key=lambda s: s.actual / (s.goal or 1.0))
            metric = metric_of[pick.metric]
            reason = f"Every goal met this {period.kind}: keep the {metric.unit} coming to stay ahead"
            return OneThing(pick.metric, pick.label, 0.0, worth(pick), reason)
        pick = max(open_goals, key=lambda s: remaining(s) * worth(s))
        shortfall = remaining(pick)
    metric = metric_of[pick.metric]
    need = math.ceil(round(remaining(pick), 6))
    if wt.fraction is not None and wt.fraction >= 1.0:
        reason = f"{metric.units(need)} short of goal this {period.kind}: start the next one with {metric.unit}"
    elif lagging or not wt.fraction:
        reason = f"{_more(metric, need)} by {by_when} keeps your pipeline on track"
    else:
        reason = f"You're on pace: {_more(metric, need)} by {by_when} keeps your pipeline on track"
    return OneThing(pick.metric, pick.label, shortfall, worth(pick), reason)
