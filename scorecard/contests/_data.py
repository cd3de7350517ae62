"""Reading what contests need: who takes part, their actuals in a window, their pace.

Actual as of a moment = daily rollups for the whole days before it, plus that
day's own events up to the moment (mapped through the catalog), so a contest's
standings move during the day and never count an event from the future.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from scorecard.calendar import Period, period_for, team_working_days, working_time
from scorecard.catalog import Catalog, Metric
from scorecard.goals import pto_days, weekly_goals
from scorecard.settings import TeamSettings
from scorecard.store import Store


@dataclass(frozen=True)
class RepInfo:
    rep_id: int
    slug: str
    name: str
    team: str


def reps_in_scope(store: Store, team: str | None) -> list[RepInfo]:
    """Active reps, optionally of one team, in a stable order."""
    rows = store.fetchall(
        "SELECT rep_id, slug, display_name, team FROM reps WHERE active AND (? IS NULL OR team = ?) ORDER BY display_name, rep_id",
        [team, team],
    )
    return [RepInfo(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def reps_by_id(store: Store, rep_ids: Iterable[int]) -> dict[int, RepInfo]:
    ids = sorted(set(rep_ids))
    if not ids:
        return {}
    rows = store.fetchall(
        "SELECT rep_id, slug, display_name, team FROM reps WHERE list_contains(?, rep_id)",
        [ids],
    )
    return {int(r[0]): RepInfo(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows}


def _value_column(metric: Metric) -> str:
    # Identifier from a fixed allow-list, never from input.
    return "amount" if metric.measure == "amount" else "n"


def metric_totals(
    store: Store,
    catalog: Catalog,
    metric: str,
    start: date,
    end: date,
    as_of: datetime,
    rep_ids: Iterable[int] | None = None,
) -> dict[int, float]:
    """Each rep's total of `metric` from `start` to `end` (inclusive) as of `as_of`."""
    spec = catalog.metrics[metric]
    ids = None if rep_ids is None else sorted(set(rep_ids))
    totals: dict[int, float] = {}
    last_whole_day = min(end, as_of.date() - timedelta(days=1))
    if last_whole_day >= start:
        rows = store.fetchall(
            f"SELECT rep_id, sum({_value_column(spec)}) FROM daily_rollups "
            "WHERE metric = ? AND day BETWEEN ? AND ? AND (?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], rep_id)) "
            "GROUP BY rep_id",
            [metric, start, last_whole_day, ids, ids],
        )
        totals = {int(rep): float(value or 0) for rep, value in rows}
    today = as_of.date()
    if start <= today <= end:
        for rep, value in _todays_totals(store, catalog, metric, as_of, ids).items():
            totals[rep] = totals.get(rep, 0.0) + value
    return totals


def _todays_totals(
    store: Store, catalog: Catalog, metric: str, as_of: datetime, ids: list[int] | None
) -> dict[int, float]:
    rows = store.fetchall(
        "SELECT rep_id, activity_label, outcome_label, count(*), coalesce(sum(amount), 0) FROM events "
        "WHERE occurred_at >= ? AND occurred_at <= ? AND (?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], rep_id)) "
        "GROUP BY ALL",
        [datetime.combine(as_of.date(), time.min), as_of, ids, ids],
    )
    amount = catalog.metrics[metric].measure == "amount"
    totals: dict[int, float] = {}
    for rep, activity, outcome, n, total in rows:
        if metric in catalog.metrics_for(activity or "", outcome or ""):
            totals[int(rep)] = totals.get(int(rep), 0.0) + float(total if amount else n)
    return totals


def team_total(
    store: Store, catalog: Catalog, metric: str, start: date, end: date, as_of: datetime, rep_ids: Iterable[int]
) -> float:
    return sum(metric_totals(store, catalog, metric, start, end, as_of, rep_ids).values())


def working_day_count(start: date, end: date, settings: TeamSettings) -> int:
    """Team working days (holidays excluded, PTO not) from `start` to `end` inclusive."""
    if end < start:
        return 0
    return len(team_working_days(Period("week", start, end), settings))


@dataclass(frozen=True)
class RepPace:
    """One rep's standing on one metric in the current period, as DESIGN.md defines pace."""

    rep: RepInfo
    weekly_goal: float
    period_goal: float
    fraction: float | None
    actual: float
    expected: float
    pace: float | None
    projected: float | None

    @property
    def shortfall(self) -> float:
        """Units short of the full-period goal at the current run rate (at least short of pace)."""
        to_pace = self.expected - self.actual
        to_goal = self.period_goal - (self.projected if self.projected is not None else self.actual)
        return max(to_pace, to_goal, 0.0)


def period_paces(
    store: Store, catalog: Catalog, settings: TeamSettings, metric: str, as_of: datetime, reps: list[RepInfo]
) -> tuple[Period, list[RepPace]]:
    """Pace of every rep in `reps` with a goal for `metric`, in the week containing `as_of`."""
    period = period_for("week", as_of.date(), settings)
    goals = weekly_goals(store, catalog, period.end).filter(pl.col("metric") == metric)
    goal_of = {int(r): float(g) for r, g in goals.select("rep_id", "weekly_goal").iter_rows()}
    pto = pto_days(store, period.start, period.end)
    actuals = metric_totals(store, catalog, metric, period.start, period.end, as_of, [r.rep_id for r in reps])
    result = []
    for rep in reps:
        if rep.rep_id not in goal_of:
            continue
        wt = working_time(period, as_of, settings, pto.get(rep.rep_id, ()))
        period_goal = goal_of[rep.rep_id] * wt.goal_scale
        f = wt.fraction
        actual = actuals.get(rep.rep_id, 0.0)
        expected = period_goal * f if f is not None else 0.0
        result.append(
            RepPace(
                rep=rep,
                weekly_goal=goal_of[rep.rep_id],
                period_goal=period_goal,
                fraction=f,
                actual=actual,
                expected=expected,
                pace=actual / expected if expected > 0 else None,
                projected=actual / f if f else None,
            )
        )
    return period, result


def weekly_history(
    store: Store, catalog: Catalog, settings: TeamSettings, metric: str, before: date, weeks: int, rep_ids: list[int]
) -> dict[int, float]:
    """Each rep's average % of their own weekly goal over the `weeks` completed weeks before `before`."""
    current = period_for("week", before, settings)
    scores: dict[int, list[float]] = {}
    for back in range(1, weeks + 1):
        week = Period("week", current.start - timedelta(weeks=back), current.end - timedelta(weeks=back))
        goals = weekly_goals(store, catalog, week.end).filter(pl.col("metric") == metric)
        goal_of = {int(r): float(g) for r, g in goals.select("rep_id", "weekly_goal").iter_rows()}
        closed = datetime.combine(week.end, time.max)
        actuals = metric_totals(store, catalog, metric, week.start, week.end, closed, rep_ids)
        # A week before a rep's data begins says nothing about them.
        present = {
            int(r[0])
            for r in store.fetchall(
                "SELECT DISTINCT rep_id FROM daily_rollups WHERE day BETWEEN ? AND ?", [week.start, week.end]
            )
        }
        for rep in rep_ids:
            goal = goal_of.get(rep, 0.0)
            if goal > 0 and rep in present:
                scores.setdefault(rep, []).append(actuals.get(rep, 0.0) / goal)
    return {rep: sum(v) / len(v) for rep, v in scores.items()}


def ceil_units(value: float) -> float:
    """Whole units, rounded up (a target of 2.1 meetings is 3), ignoring float noise."""
    return float(math.ceil(round(value, 6)))
