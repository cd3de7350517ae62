"""The personal scorecard: one rep against their own goals, live during the period."""

from __future__ import annotations

import bisect
import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl

from scorecard.calendar import Period, PeriodKind, WorkingTime, last_weeks, period_for, working_time
from scorecard.catalog import Catalog, Metric
from scorecard.funnel import funnel_values
from scorecard.scores._context import Context, context
from scorecard.scores._reads import team_totals
from scorecard.scores._reps import Rep, Scope, find_rep
from scorecard.scores.pace import actuals, last_working_day, pto_in, reps_with_goal, scored_cells
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
    cells = _cells(store, ctx, who, period, weeks, as_of)
    pto = pto_in(ctx, who.rep_id, period)
    wt = working_time(period, as_of, settings, pto)
    peers = _peer_stats(ctx, cells.team_now, who, period)
    by_cell = {
        (m, w): (a, g) for w, m, a, g in cells.weeks.select("period_start", "metric", "actual", "goal").iter_rows()
    }
    completed = [w.start for w in weeks[:-1]]
    trend_weeks = [w.start for w in weeks[-TREND_WEEKS:]]
    rows = {r["metric"]: r for r in cells.now.iter_rows(named=True)}
    totals = team_totals(store, ctx, who.team, window_start, weeks[-1].start)
    scores = [
        _metric_score(
            m,
            rows[m.key],
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
    values = unit_values(ctx.catalog, totals)
    return RepScorecard(
        rep=who,
        as_of=as_of,
        period=period,
        working_time=wt,
        metrics=scores,
        ratios=_ratios(ctx.catalog, rep_totals, totals),
        one_thing=_one_thing(ctx, period, _by_when(last_working_day(ctx, period, pto), period), scores, values, wt),
        weekly_trend=_weekly_trend(cells.weeks, trend_weeks[0]),
    )


@dataclass(frozen=True)
class _Cells:
    weeks: pl.DataFrame  # the rep's scored weeks: the completed ones, then the current one to date
    now: pl.DataFrame  # the rep's scored period, one row per catalog metric
    team_now: pl.DataFrame  # rep_id, metric, actual: the team's period to date (the rep's included)


def _cells(store: Store, ctx: Context, who: Rep, period: Period, weeks: list[Period], as_of: datetime) -> _Cells:
    me = pl.Series("rep_id", [who.rep_id], dtype=pl.Int32)
    mine = Scope(rep_ids=(who.rep_id,))
    got = actuals(store, ctx, Scope(team=who.team), period.start, period.end, as_of, focus=who.rep_id)
    # One row per rep and metric: a week has one already, a longer period one per week.
    if period.kind == "week":
        team_now = got.drop("week_start")
    else:
        team_now = got.group_by("rep_id", "metric").agg(pl.col("actual").sum())
    own_now = _every_metric(ctx, team_now, who, period)
    # The completed weeks move with no as_of: their read is memoised (a whole-day moment after them).
    after = datetime.combine(weeks[-1].start, time.min)
    history = actuals(store, ctx, mine, weeks[0].start, weeks[-2].end, after).rename({"week_start": "period_start"})
    if period.kind == "week":
        # One scoring for every week; the period's zero rows (a row per metric) are cells only with a goal.
        scored = scored_cells(ctx, pl.concat([history, own_now], how="diagonal"), me, weeks, as_of, scope=mine)
        now = scored.filter(pl.col("period_start") == period.start)
        in_weeks = scored.filter(pl.col("counted").fill_null(True) | pl.col("weekly_goal").is_not_null())
    else:
        week = weeks[-1]
        this_week = actuals(store, ctx, mine, week.start, week.end, as_of).rename({"week_start": "period_start"})
        in_weeks = scored_cells(ctx, pl.concat([history, this_week]), me, weeks, as_of, scope=mine)
        now = scored_cells(ctx, own_now, me, [period], as_of, scope=mine)
    return _Cells(weeks=in_weeks, now=now, team_now=team_now)


def _every_metric(ctx: Context, team_now: pl.DataFrame, who: Rep, period: Period) -> pl.DataFrame:
    """The rep's actuals in the period, a row for every metric (`counted`: any activity recorded)."""
    # A handful of rows: built from Python values, cheaper than a join.
    own = dict(team_now.filter(pl.col("rep_id") == who.rep_id).select("metric", "actual").iter_rows())
    metrics = list(ctx.catalog.metrics)
    return pl.DataFrame(
        {
            "rep_id": [who.rep_id] * len(metrics),
            "period_start": [period.start] * len(metrics),
            "metric": metrics,
            "actual": [float(own.get(m, 0.0)) for m in metrics],
            "counted": [m in own for m in metrics],
        },
        schema={
            "rep_id": pl.Int32,
            "period_start": pl.Date,
            "metric": pl.String,
            "actual": pl.Float64,
            "counted": pl.Boolean,
        },
    )


# -- pieces ----------------------------------------------------------------


def _peer_stats(ctx: Context, now: pl.DataFrame, who: Rep, period: Period) -> dict[str, tuple[float, float]]:
    """Per metric: (team median, the rep's percentile) among active teammates with a goal or activity.

    `now` holds one row per rep and metric with activity; teammates without a
    row count as zero. The percentile is the share of them at or below the rep.
    """
    with_goal = reps_with_goal(ctx, Scope(team=who.team), period)
    team_size = len(with_goal | set(now.get_column("rep_id").unique().to_list()) | {who.rep_id})
    mine = dict(now.filter(pl.col("rep_id") == who.rep_id).select("metric", "actual").iter_rows())
    stats: dict[str, tuple[float, float]] = {}
    for metric, values in now.group_by("metric").agg(pl.col("actual")).iter_rows():
        everyone = sorted([0.0] * (team_size - len(values)) + list(values))
        own = mine.get(metric, 0.0)
        stats[metric] = (float(statistics.median(everyone)), 100 * bisect.bisect_right(everyone, own) / team_size)
    return stats


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
    row: dict[str, Any],
    peer: tuple[float, float] | None,
    streak: int,
    trend: list[float],
    wt: WorkingTime,
    period: Period,
) -> MetricScore:
    actual = float(row.get("actual") or 0.0)
    weekly_goal = row.get("weekly_goal")
    has_goal = weekly_goal is not None
    goal = _opt(row.get("goal")) if has_goal else None
    pace = _opt(row.get("pace")) if has_goal else None
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
        projected=_opt(row.get("projected")),
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
