"""Reading what contests need: who takes part, their actuals in a window, their pace.

Actuals, goals and pace come from the pace engine (`scorecard.scores.pace`,
docs/pace.md), so a contest's standings move during the day, never count an
event from the future, and agree with every scorecard.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from scorecard.calendar import Period, period_for, team_working_days
from scorecard.catalog import Catalog
from scorecard.scores import pace
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


def metric_totals(
    store: Store,
    catalog: Catalog,
    metric: str,
    start: date,
    end: date,
    as_of: datetime,
    rep_ids: Iterable[int] | None = None,
) -> dict[int, float]:
    """Each rep's total of `metric` from `start` to `end` (inclusive) as of `as_of` (the pace engine's actual).

    `catalog` is the store's own (the engine reads it with the rest of the team's context).
    """
    return pace.actual_totals(store, metric, start, end, as_of, rep_ids)


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
    """One rep's standing on one metric in the current period (docs/pace.md)."""

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
    """Pace of every rep in `reps` with a goal for `metric`, in the week containing `as_of` (the pace engine's)."""
    period = period_for("week", as_of.date(), settings)
    cells = pace.period_scores(store, [r.rep_id for r in reps], [period], as_of, [metric])
    by_rep = {row["rep_id"]: row for row in cells.filter(pl.col("weekly_goal").is_not_null()).iter_rows(named=True)}
    result = []
    for rep in reps:
        row = by_rep.get(rep.rep_id)
        if row is None:
            continue
        result.append(
            RepPace(
                rep=rep,
                weekly_goal=float(row["weekly_goal"]),
                period_goal=float(row["goal"]),
                fraction=row["fraction"],
                actual=float(row["actual"]),
                expected=float(row["expected"]),
                pace=row["pace"],
                projected=row["projected"],
            )
        )
    return period, result


def weekly_history(
    store: Store, catalog: Catalog, settings: TeamSettings, metric: str, before: date, weeks: int, rep_ids: list[int]
) -> dict[int, float]:
    """Each rep's average % of their own weekly goal over the `weeks` completed weeks before `before`.

    A week before a rep's data begins (nothing recorded that week) says nothing about them.
    """
    current = period_for("week", before, settings)
    done = [
        Period("week", current.start - timedelta(weeks=back), current.end - timedelta(weeks=back))
        for back in range(weeks, 0, -1)
    ]
    if not done or not rep_ids:
        return {}
    cells = pace.period_scores(store, rep_ids, done, datetime.combine(done[-1].end, time.max), [metric])
    present = pace.weeks_with_data(store, rep_ids, [w.start for w in done])
    shares = (
        cells.filter(pl.col("weekly_goal") > 0)
        .join(present.rename({"week_start": "period_start"}), on=["rep_id", "period_start"], how="semi")
        .sort("period_start", descending=True)  # the latest week first, as the average has always been summed
        .group_by("rep_id", maintain_order=True)
        .agg(pl.col("actual") / pl.col("weekly_goal"))
    )
    return {int(rep_id): sum(values) / len(values) for rep_id, values in shares.iter_rows()}


def ceil_units(value: float) -> float:
    """Whole units, rounded up (a target of 2.1 meetings is 3), ignoring float noise."""
    return float(math.ceil(round(value, 6)))
