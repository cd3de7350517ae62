"""The personal scorecard: one rep against their own goals, live during the period."""

from __future__ import annotations

import bisect
import contextlib
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl

from scorecard.calendar import Period, PeriodKind, WorkingTime, last_weeks, period_for, working_time
from scorecard.catalog import Catalog, Metric
from scorecard.funnel import funnel_values
from scorecard.scores._context import Context, context
from scorecard.scores._reads import team_totals
from scorecard.scores._reps import Rep, Scope, UnknownRep, find_rep
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
    return _scorecards(store, ctx, [who], as_of, period_kind)[who.rep_id]


def rep_scorecards(
    store: Store, reps: Iterable[str], as_of: datetime, *, period_kind: PeriodKind = "week"
) -> dict[str, RepScorecard]:
    """Many reps' scorecards in one pass, by the key each was asked for; keys matching no rep are left out.

    Each equals `rep_scorecard` for that rep: both are this one computation,
    run for one rep or for many (after a commit, every open page's rep at once).
    """
    ctx = context(store)
    found: dict[str, Rep] = {}
    for key in reps:
        with contextlib.suppress(UnknownRep):
            found[key] = find_rep(ctx, key)
    people = list({who.rep_id: who for who in found.values()}.values())
    cards = _scorecards(store, ctx, people, as_of, period_kind) if people else {}
    return {key: cards[who.rep_id] for key, who in found.items()}


def _scorecards(
    store: Store, ctx: Context, people: list[Rep], as_of: datetime, period_kind: PeriodKind
) -> dict[int, RepScorecard]:
    settings = ctx.settings
    period = period_for(period_kind, as_of.date(), settings)
    weeks = last_weeks(as_of.date(), settings, max(STREAK_WINDOW_WEEKS, settings.rate_window_weeks) + 1)
    window_start = weeks[-1].start - timedelta(weeks=settings.rate_window_weeks)
    cells = _cells(store, ctx, people, period, weeks, as_of)
    completed = [w.start for w in weeks[:-1]]
    trend_weeks = [w.start for w in weeks[-TREND_WEEKS:]]
    window = [w.start for w in weeks[:-1] if w.start >= window_start]
    now_rows: dict[int, dict[str, dict[str, Any]]] = {}
    for row in cells.now.iter_rows(named=True):
        now_rows.setdefault(row["rep_id"], {})[row["metric"]] = row
    by_rep: dict[int, dict[tuple[str, date], tuple[float, float | None]]] = {}
    for rep_id, w, m, a, g in cells.weeks.select("rep_id", "period_start", "metric", "actual", "goal").iter_rows():
        by_rep.setdefault(rep_id, {})[(m, w)] = (a, g)
    trends = _weekly_trends(cells.weeks, trend_weeks[0])
    values_of: dict[str, dict[str, float]] = {}
    cards = {}
    for who in people:
        pto = pto_in(ctx, who.rep_id, period)
        wt = working_time(period, as_of, settings, pto)
        peers = cells.peers[who.rep_id]
        by_cell = by_rep.get(who.rep_id, {})
        rows = now_rows[who.rep_id]
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
        # Summed week by week in date order: a frame's row order is no order to add floats in.
        rep_totals: dict[str, float] = {}
        for week in window:
            for m in ctx.catalog.ordered():
                cell = by_cell.get((m.key, week))
                if cell is not None:
                    rep_totals[m.key] = rep_totals.get(m.key, 0.0) + float(cell[0])
        values = values_of.get(who.team)
        if values is None:
            values = values_of[who.team] = unit_values(ctx.catalog, totals)
        by_when = _by_when(last_working_day(ctx, period, pto), period)
        cards[who.rep_id] = RepScorecard(
            rep=who,
            as_of=as_of,
            period=period,
            working_time=wt,
            metrics=scores,
            ratios=_ratios(ctx.catalog, rep_totals, totals),
            one_thing=_one_thing(ctx, period, by_when, scores, values, wt),
            weekly_trend=trends.get(who.rep_id, _EMPTY_TREND),
        )
    return cards


@dataclass(frozen=True)
class _Cells:
    weeks: pl.DataFrame  # the reps' scored weeks: the completed ones, then the current one to date
    now: pl.DataFrame  # the reps' scored period, one row per rep and catalog metric
    peers: dict[int, dict[str, tuple[float, float]]]  # rep_id -> metric -> (team median, the rep's percentile)


def _cells(store: Store, ctx: Context, people: list[Rep], period: Period, weeks: list[Period], as_of: datetime) -> _Cells:
    ids = sorted(who.rep_id for who in people)
    me = pl.Series("rep_id", ids, dtype=pl.Int32)
    mine = Scope(rep_ids=tuple(ids))
    # Peers are the rep's active teammates: one read per team. An inactive rep is
    # not in its team's scope and is compared with it alone, as `focus`.
    groups: dict[tuple[str, int | None], list[Rep]] = {}
    for who in people:
        groups.setdefault((who.team, None if who.active else who.rep_id), []).append(who)
    own: dict[int, dict[str, float]] = {}
    peers: dict[int, dict[str, tuple[float, float]]] = {}
    for (team, focus), members in groups.items():
        got = actuals(store, ctx, Scope(team=team), period.start, period.end, as_of, focus=focus)
        # One row per rep and metric: a week has one already, a longer period one per week.
        if period.kind == "week":
            team_now = got.drop("week_start")
        else:
            team_now = got.group_by("rep_id", "metric").agg(pl.col("actual").sum())
        group_peers, group_own = _peer_stats(ctx, team_now, team, members, period)
        peers.update(group_peers)
        own.update(group_own)
    own_now = _every_metric(ctx, own, ids, period)
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
    return _Cells(weeks=in_weeks, now=now, peers=peers)


def _every_metric(ctx: Context, own: dict[int, dict[str, float]], rep_ids: list[int], period: Period) -> pl.DataFrame:
    """The reps' actuals in the period, a row for every rep and metric (`counted`: any activity recorded)."""
    # A few rows per rep: built from Python values, cheaper than a join.
    metrics = list(ctx.catalog.metrics)
    rows = [(rep_id, metric, own.get(rep_id, {})) for rep_id in rep_ids for metric in metrics]
    return pl.DataFrame(
        {
            "rep_id": [rep_id for rep_id, _, _ in rows],
            "period_start": [period.start] * len(rows),
            "metric": [metric for _, metric, _ in rows],
            "actual": [float(mine.get(metric, 0.0)) for _, metric, mine in rows],
            "counted": [metric in mine for _, metric, mine in rows],
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


def _peer_stats(
    ctx: Context, now: pl.DataFrame, team: str, members: list[Rep], period: Period
) -> tuple[dict[int, dict[str, tuple[float, float]]], dict[int, dict[str, float]]]:
    """Per rep and metric: (team median, the rep's percentile) among active teammates with a goal or activity.

    `now` holds one row per rep and metric with activity; teammates without a
    row count as zero, and so does the rep. The percentile is the share of
    them at or below the rep. Also returns the members' own rows of `now`.
    """
    with_goal = reps_with_goal(ctx, Scope(team=team), period)
    present = with_goal | set(now.get_column("rep_id").unique().to_list())
    by_metric = dict(now.group_by("metric").agg(pl.col("actual").sort()).iter_rows())
    own: dict[int, dict[str, float]] = {}
    ids = pl.Series([who.rep_id for who in members], dtype=pl.Int32)
    for rep_id, metric, actual in now.filter(pl.col("rep_id").is_in(ids.implode())).select("rep_id", "metric", "actual").iter_rows():
        own.setdefault(rep_id, {})[metric] = actual
    medians: dict[tuple[str, int], tuple[list[float], float]] = {}
    stats: dict[int, dict[str, tuple[float, float]]] = {}
    for who in members:
        team_size = len(present) + (who.rep_id not in present)
        mine = own.get(who.rep_id, {})
        stats[who.rep_id] = {}
        for metric, values in by_metric.items():
            known = medians.get((metric, team_size))
            if known is None:
                everyone = sorted([0.0] * (team_size - len(values)) + values)
                known = medians[(metric, team_size)] = (everyone, float(statistics.median(everyone)))
            everyone, median = known
            stats[who.rep_id][metric] = (median, 100 * bisect.bisect_right(everyone, mine.get(metric, 0.0)) / team_size)
    return stats, own


def _weekly_trends(weeks: pl.DataFrame, first: date) -> dict[int, pl.DataFrame]:
    """Each rep's weeks from `first` on: week_start, metric, actual, goal, pct_of_goal."""
    trend = (
        weeks.lazy()
        .filter(pl.col("period_start") >= first)
        .select(
            "rep_id",
            pl.col("period_start").alias("week_start"),
            "metric",
            "actual",
            "goal",
            pct_of_goal=pl.when(pl.col("goal") > 0).then(pl.col("actual") / pl.col("goal")),
        )
        .sort("week_start", "metric")
        .collect()  # one plan: cheaper than three eager steps on a few hundred rows
    )
    ids = trend.get_column("rep_id").unique()
    if ids.len() == 1:  # one rep (a page of its own): its frame as it is
        return {int(ids[0]): trend.drop("rep_id")}
    return {int(key[0]): part for key, part in trend.partition_by("rep_id", as_dict=True, include_key=False).items()}


_EMPTY_TREND = pl.DataFrame(
    schema={"week_start": pl.Date, "metric": pl.String, "actual": pl.Float64, "goal": pl.Float64, "pct_of_goal": pl.Float64}
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
