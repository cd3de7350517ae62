"""Did it work? A finished contest's lift against comparable periods, and what came after.

Baseline = the 4 comparable periods before the contest: the same weekdays and
length, shifted back by whole weeks. The period after the contest is measured
the same way, because reps can pull activity forward into a contest (or hold
it back before one), which shows up as a dip afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from scorecard.catalog import load_catalog
from scorecard.contests import _data
from scorecard.contests.lifecycle import Contest, contest_results, get_contest, list_contests
from scorecard.settings import load_settings
from scorecard.store import Store

BASELINE_PERIODS = 4


@dataclass(frozen=True)
class PeriodRate:
    start: date
    end: date
    actual: float
    working_days: int

    @property
    def per_day(self) -> float | None:
        return self.actual / self.working_days if self.working_days else None


@dataclass(frozen=True)
class Lift:
    contest_id: int
    metric: str
    during: PeriodRate
    baseline: tuple[PeriodRate, ...]  # most recent first
    after: PeriodRate | None  # None until the period after the contest has ended
    baseline_per_day: float | None  # Σ baseline actual ÷ Σ baseline working days
    lift_pct: float | None  # during per day ÷ baseline per day − 1
    after_change_pct: float | None  # after per day ÷ baseline per day − 1 (negative = a dip)
    incremental_units: float  # (during per day − baseline per day) × working days in the contest
    net_incremental_units: float | None  # the same, less any dip (or plus any gain) after it
    cost: float
    cost_per_incremental_unit: float | None


def _step(contest: Contest) -> timedelta:
    """Whole weeks covering the contest, so shifted periods fall on the same weekdays."""
    return timedelta(weeks=math.ceil(((contest.end - contest.start).days + 1) / 7))


def measure_lift(store: Store, contest_id: int, as_of: datetime) -> Lift:
    """The lift of a contest that has ended by `as_of`; raises ValueError before that."""
    contest = get_contest(store, contest_id)
    if contest.state(as_of) != "finished":
        raise ValueError(f"contest {contest_id} has not finished (it is {contest.state(as_of)})")
    settings, catalog = load_settings(store), load_catalog(store)
    reps = [
        int(r[0]) for r in store.fetchall("SELECT rep_id FROM contest_participants WHERE contest_id = ?", [contest_id])
    ]
    step = _step(contest)

    def rate(start: date, end: date) -> PeriodRate:
        closed = datetime.combine(end, time.max)
        actual = _data.team_total(store, catalog, contest.metric, start, end, closed, reps)
        return PeriodRate(start, end, actual, _data.working_day_count(start, end, settings))

    during = rate(contest.start, contest.end)
    baseline = tuple(rate(contest.start - step * k, contest.end - step * k) for k in range(1, BASELINE_PERIODS + 1))
    after_start, after_end = contest.start + step, contest.end + step
    after = rate(after_start, after_end) if as_of >= datetime.combine(after_end, settings.day_end) else None
    base_days = sum(p.working_days for p in baseline)
    base = sum(p.actual for p in baseline) / base_days if base_days else None
    cost = contest_results(store, contest_id, as_of).cost
    lift = after_change = net = None
    incremental = 0.0
    if base is not None and during.per_day is not None:
        incremental = (during.per_day - base) * during.working_days
        lift = during.per_day / base - 1 if base else None
        if after is not None and after.per_day is not None:
            after_change = after.per_day / base - 1 if base else None
            net = incremental + (after.per_day - base) * after.working_days
    return Lift(
        contest_id=contest_id,
        metric=contest.metric,
        during=during,
        baseline=baseline,
        after=after,
        baseline_per_day=base,
        lift_pct=lift,
        after_change_pct=after_change,
        incremental_units=incremental,
        net_incremental_units=net,
        cost=cost,
        cost_per_incremental_unit=cost / incremental if incremental > 0 else None,
    )


_HISTORY_SCHEMA = {
    "contest_id": pl.Int64,
    "metric": pl.String,
    "label": pl.String,
    "format": pl.String,
    "start": pl.Date,
    "end": pl.Date,
    "status": pl.String,
    "budget": pl.Float64,
    "cost": pl.Float64,
    "actual": pl.Float64,
    "per_day": pl.Float64,
    "baseline_per_day": pl.Float64,
    "lift_pct": pl.Float64,
    "after_per_day": pl.Float64,
    "after_change_pct": pl.Float64,
    "incremental_units": pl.Float64,
    "cost_per_incremental_unit": pl.Float64,
}


def contest_history(store: Store, as_of: datetime) -> pl.DataFrame:
    """Past contests (ended or cancelled), newest first, with their lift and cost per incremental unit."""
    rows = []
    for contest in reversed(list_contests(store)):
        state = contest.state(as_of)
        if state not in ("finished", "cancelled"):
            continue
        row: dict[str, object] = {
            "contest_id": contest.contest_id,
            "metric": contest.metric,
            "label": contest.label,
            "format": contest.format,
            "start": contest.start,
            "end": contest.end,
            "status": state,
            "budget": contest.budget,
            "cost": 0.0,
        }
        if state == "finished":
            lift = measure_lift(store, contest.contest_id, as_of)
            row.update(
                cost=lift.cost,
                actual=lift.during.actual,
                per_day=lift.during.per_day,
                baseline_per_day=lift.baseline_per_day,
                lift_pct=lift.lift_pct,
                after_per_day=lift.after.per_day if lift.after else None,
                after_change_pct=lift.after_change_pct,
                incremental_units=lift.incremental_units,
                cost_per_incremental_unit=lift.cost_per_incremental_unit,
            )
        rows.append(row)
    return pl.DataFrame(rows, schema=_HISTORY_SCHEMA)
