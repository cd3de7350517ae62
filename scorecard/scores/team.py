"""The team view: gaps, red flags, tiers, heatmap, leaderboard and shout-outs.

One rep behind is a coaching conversation; the whole team behind is a rally.
A metric is a team gap only when the team's combined pace is low AND most reps
with something expected are below pace (docs/team-gaps.md; thresholds from settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from scorecard.calendar import Period, last_weeks
from scorecard.scores._context import Context, context
from scorecard.scores._reads import first_weeks_in
from scorecard.scores._reps import Rep, Scope, reps_by_id, scope_reps
from scorecard.scores.pace import status_of, week_cells
from scorecard.store import Store

TREND_WEEKS = 12  # completed weeks in the team trend and the red-flag look-back
TIER_WEEKS = 4
AUTOPILOT_AT = 0.9  # share of rep × metric × week cells on goal
COACH_BELOW = 0.5
TIERS = ("autopilot", "watch", "coach")

FLAG_QUESTIONS = (
    "Why is it happening?",
    "What should the rep do differently?",
    "What should we do differently?",
    "Is the goal right?",
)


@dataclass(frozen=True)
class TeamMetric:
    metric: str
    label: str
    team_actual: float
    team_expected: float
    team_pace: float | None
    status: str | None  # of the team's combined pace: on_pace | at_risk | behind
    reps_with_goal: int
    reps_behind: int  # status "behind" (below the at-risk threshold)
    # The team-gap rule's own counts: reps below pace (at risk or behind) out of
    # the reps with something expected so far (PTO and not-yet-started excluded).
    reps_below_pace: int
    reps_expected: int
    is_team_gap: bool


@dataclass(frozen=True)
class RedFlag:
    rep: Rep
    metric: str
    label: str
    weeks_missed: int
    questions: list[str]


@dataclass(frozen=True)
class TeamView:
    as_of: datetime
    period: Period
    team: str | None
    teams: list[str]
    metrics: list[TeamMetric]
    flags: list[RedFlag]
    tiers: dict[str, list[Rep]]
    heatmap: pl.DataFrame  # slug, name, metric, label, pace, status, actual, expected
    leaderboard: pl.DataFrame  # slug, name, pct_of_goal
    shout_outs: list[Rep]
    trend: pl.DataFrame  # week_start, metric, team_pace


def team_view(store: Store, as_of: datetime, *, team: str | None = None) -> TeamView:
    """The team's week as of `as_of`; `team=None` rolls up every team."""
    ctx = context(store)
    weeks = last_weeks(as_of.date(), ctx.settings, TREND_WEEKS + 1)
    current = weeks[-1]
    scope = Scope(team=team)
    reps = scope_reps(ctx, scope)
    scored = _scored_metrics(ctx)
    history = _history(store, ctx, reps, scope, weeks[:-1], as_of, scored)
    now = week_cells(store, ctx, scope, [current], as_of, with_goals_only=True) if reps.height else _no_cells()
    return TeamView(
        as_of=as_of,
        period=current,
        team=team,
        teams=sorted(set(ctx.reps.filter(pl.col("active")).get_column("team").to_list())),
        metrics=_team_metrics(ctx, now),
        flags=list(history.flags),
        tiers={tier: list(members) for tier, members in history.tiers.items()},
        heatmap=_heatmap(ctx, reps, now, scored),
        leaderboard=_leaderboard(reps, now, scored),
        shout_outs=_shout_outs(ctx, reps, now, scored),
        trend=history.trend,
    )


@dataclass(frozen=True)
class _History:
    """What the completed weeks say: it cannot change before the next write."""

    flags: list[RedFlag]
    tiers: dict[str, list[Rep]]
    trend: pl.DataFrame


def _history(
    store: Store,
    ctx: Context,
    reps: pl.DataFrame,
    scope: Scope,
    weeks: list[Period],
    as_of: datetime,
    scored: list[str],
) -> _History:
    key = ("team_history", scope, weeks[0].start, weeks[-1].start)
    cached: _History | None = ctx.recall(key, activity=True)
    if cached is not None:
        return cached
    cells = week_cells(store, ctx, scope, weeks, as_of, with_goals_only=True) if reps.height else _no_cells()
    done = _since_first_week(cells, first_weeks_in(store, ctx, weeks[0].start, weeks[-1].end + timedelta(days=1)))
    lead = [m for m in scored if ctx.catalog.metrics[m].is_lead]
    history = _History(
        flags=_flags(ctx, done, weeks, lead),
        tiers=_tiers(ctx, reps, done.filter(pl.col("period_start") >= weeks[-TIER_WEEKS].start), scored),
        trend=_trend(done),
    )
    # Finished weeks only: kept until a write changes one of their days.
    result: _History = ctx.remember(key, history, activity_before=weeks[-1].end + timedelta(days=1))
    return result


def _since_first_week(cells: pl.DataFrame, firsts: pl.DataFrame) -> pl.DataFrame:
    """The cells from each rep's first week with data on (none for reps without data), in the cells' order."""
    start = cells.get_column("period_start").min() if cells.height else None
    late = firsts.filter(pl.col("first_week") > start) if start is not None else firsts
    if late.is_empty():
        # Every rep with data has it from the first week shown: only reps without any drop out.
        return cells.filter(pl.col("rep_id").is_in(firsts.get_column("rep_id").implode()))
    return (
        cells.join(firsts, on="rep_id", how="inner", maintain_order="left")
        .filter(pl.col("period_start") >= pl.col("first_week"))
        .drop("first_week")
    )


def _no_cells() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "rep_id": pl.Int32,
            "period_start": pl.Date,
            "metric": pl.String,
            "actual": pl.Float64,
            "weekly_goal": pl.Float64,
            "goal": pl.Float64,
            "expected": pl.Float64,
            "pace": pl.Float64,
            "status": pl.String,
        }
    )


def _scored_metrics(ctx: Context) -> list[str]:
    """Metrics that count for tiers, the leaderboard and shout-outs: never vanity ones."""
    return [m.key for m in ctx.catalog.ordered() if not m.vanity]


def _with_goal(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("weekly_goal") > 0)


def _team_metrics(ctx: Context, now: pl.DataFrame) -> list[TeamMetric]:
    settings = ctx.settings
    stats = (
        _with_goal(now)
        .group_by("metric")
        .agg(
            # Floats summed in value order: the same cells give the same total, whatever order they came in.
            team_actual=pl.col("actual").sort().sum(),
            team_expected=pl.col("expected").sort().sum(),
            reps_with_goal=pl.len(),
            reps_behind=(pl.col("status") == "behind").sum(),
            # Reps with nothing expected yet (PTO, start of the week) count on neither side.
            counted=(pl.col("expected") > 0).sum(),
            below=((pl.col("expected") > 0) & (pl.col("pace") < settings.on_pace_at)).sum(),
        )
    )
    by_metric = {r["metric"]: r for r in stats.iter_rows(named=True)}
    result = []
    for metric in ctx.catalog.ordered():
        row = by_metric.get(metric.key)
        if row is None:
            continue
        expected = float(row["team_expected"])
        pace = float(row["team_actual"]) / expected if expected > 0 else None
        share_below = row["below"] / row["counted"] if row["counted"] else 0.0
        gap = (
            not metric.vanity
            and pace is not None
            and pace < settings.team_gap_pace_below
            and share_below >= settings.team_gap_share_behind - 1e-9
        )
        result.append(
            TeamMetric(
                metric=metric.key,
                label=metric.label,
                team_actual=float(row["team_actual"]),
                team_expected=expected,
                team_pace=pace,
                status=status_of(pace, settings),
                reps_with_goal=int(row["reps_with_goal"]),
                reps_behind=int(row["reps_behind"]),
                reps_below_pace=int(row["below"]),
                reps_expected=int(row["counted"]),
                is_team_gap=gap,
            )
        )
    return result


def _flags(ctx: Context, done: pl.DataFrame, weeks: list[Period], lead: list[str]) -> list[RedFlag]:
    """Reps who missed the same lead metric's goal in consecutive completed weeks.

    Counting back from last week (k = 0): a missed week adds one, a week with
    no working time (PTO) is skipped, and a week on goal, without a goal or
    without data stops the count.
    """
    if not weeks or done.is_empty():
        return []
    # Each week is a bit (k = 0 is last week); the run of misses ends at the lowest stop bit.
    index = pl.DataFrame(
        {"period_start": [w.start for w in reversed(weeks)], "bit": [1 << k for k in range(len(weeks))]},
        schema={"period_start": pl.Date, "bit": pl.Int64},
    )
    full = (1 << len(weeks)) - 1
    goal, actual, bit = pl.col("goal"), pl.col("actual"), pl.col("bit")
    stop = pl.col("weekly_goal").is_null() | (pl.col("weekly_goal") <= 0) | ((goal > 0) & (actual >= goal))
    miss = (goal > 0) & (actual < goal)
    # A week without a cell (no goal, no data) is a stop too.
    stops = pl.col("stop_bits") | (pl.col("present") ^ full)
    before_first_stop = pl.when(stops == 0).then(full).otherwise((stops & -stops) - 1)
    counts = (
        done.lazy()
        .filter(pl.col("metric").is_in(lead))
        .join(index.lazy(), on="period_start")
        # Masked bits as columns, so the group-by only sums (a filter inside an
        # aggregation runs group by group, the slowest part of a cold team view).
        .with_columns(stop_bit=pl.when(stop).then(bit).otherwise(0), miss_bit=pl.when(miss).then(bit).otherwise(0))
        .group_by("rep_id", "metric")
        .agg(
            present=bit.sum(),
            stop_bits=pl.col("stop_bit").sum(),
            miss_bits=pl.col("miss_bit").sum(),
        )
        .select("rep_id", "metric", weeks_missed=(pl.col("miss_bits") & before_first_stop).bitwise_count_ones())
        .filter(pl.col("weeks_missed") >= ctx.settings.flag_after_weeks)
        .collect()
    )
    order = {m: i for i, m in enumerate(lead)}
    people = reps_by_id(ctx)
    flags = [
        RedFlag(
            rep=people[rep_id],
            metric=metric,
            label=ctx.catalog.metrics[metric].label,
            weeks_missed=int(missed),
            questions=list(FLAG_QUESTIONS),
        )
        for rep_id, metric, missed in counts.iter_rows()
    ]
    return sorted(flags, key=lambda f: (-f.weeks_missed, order[f.metric], f.rep.display_name))


def _tiers(ctx: Context, reps: pl.DataFrame, recent: pl.DataFrame, scored: list[str]) -> dict[str, list[Rep]]:
    """Autopilot, watch or coach from the share of recent rep × metric × week cells on goal."""
    shares = (
        recent.lazy()
        .filter(pl.col("metric").is_in(scored) & (pl.col("goal") > 0))
        .with_columns(on_goal=pl.col("actual") >= pl.col("goal"))  # a column, so the group-by only averages
        .group_by("rep_id")
        .agg(share=pl.col("on_goal").mean())
        .with_columns(
            tier=pl.when(pl.col("share") >= AUTOPILOT_AT)
            .then(pl.lit("autopilot"))
            .when(pl.col("share") < COACH_BELOW)
            .then(pl.lit("coach"))
            .otherwise(pl.lit("watch"))
        )
    )
    tiers: dict[str, list[Rep]] = {t: [] for t in TIERS}
    people = reps_by_id(ctx)
    ranked = (
        reps.lazy()
        .select("rep_id", "display_name")
        .join(shares, on="rep_id")
        .sort("share", "display_name", descending=[True, False])
        .collect()
    )
    for rep_id, tier in ranked.select("rep_id", "tier").iter_rows():
        tiers[tier].append(people[rep_id])
    return tiers


def _heatmap(ctx: Context, reps: pl.DataFrame, now: pl.DataFrame, scored: list[str]) -> pl.DataFrame:
    labels = pl.DataFrame(
        {
            "metric": scored,
            "label": [ctx.catalog.metrics[m].label for m in scored],
            "order": list(range(len(scored))),
        }
    )
    return (
        _with_goal(now)
        .lazy()
        .join(labels.lazy(), on="metric")
        .join(reps.lazy().select("rep_id", "slug", pl.col("display_name").alias("name")), on="rep_id")
        .sort("name", "order")
        .select("slug", "name", "metric", "label", "pace", "status", "actual", "expected")
        .collect()
    )


def _rep_paces(now: pl.DataFrame, scored: list[str]) -> pl.DataFrame:
    return now.filter(pl.col("metric").is_in(scored) & (pl.col("weekly_goal") > 0) & pl.col("pace").is_not_null())


# Over-delivery on one metric counts only up to this share of pace, so a big
# week of proposals cannot hide half the conversations a rep needed.
LEADERBOARD_PACE_CAP = 1.25


def _leaderboard(reps: pl.DataFrame, now: pl.DataFrame, scored: list[str]) -> pl.DataFrame:
    """Ranked by mean % of each rep's own goal-to-date (each metric capped), never by raw volume."""
    return (
        _rep_paces(now, scored)
        .lazy()
        .group_by("rep_id")
        .agg(pct_of_goal=pl.col("pace").clip(upper_bound=LEADERBOARD_PACE_CAP).sort().mean())  # in value order
        .join(reps.lazy().select("rep_id", "slug", pl.col("display_name").alias("name")), on="rep_id")
        .sort(["pct_of_goal", "name"], descending=[True, False])
        .select("slug", "name", "pct_of_goal")
        .collect()
    )


def _shout_outs(ctx: Context, reps: pl.DataFrame, now: pl.DataFrame, scored: list[str]) -> list[Rep]:
    """Reps on pace in every metric they have a goal for (with at least one pace defined)."""
    on_all = (
        _rep_paces(now, scored).group_by("rep_id").agg(ok=(pl.col("status") == "on_pace").all()).filter(pl.col("ok"))
    )
    people = reps_by_id(ctx)
    ids = reps.select("rep_id", "display_name").join(on_all, on="rep_id").sort("display_name").get_column("rep_id")
    return [people[rep_id] for rep_id in ids]


def _trend(done: pl.DataFrame) -> pl.DataFrame:
    """Completed weeks: Σ actual ÷ Σ goal of reps with a goal, per metric."""
    return (
        done.lazy()
        .filter(pl.col("goal") > 0)
        .group_by("period_start", "metric")
        .agg(team_pace=pl.col("actual").sort().sum() / pl.col("goal").sort().sum())  # in value order
        .rename({"period_start": "week_start"})
        .sort("week_start", "metric")
        .collect()
    )
