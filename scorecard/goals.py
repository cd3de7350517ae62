"""Goals and PTO: recorded effective-dated, so a change never rewrites past weeks.

Which goal is in force for a period is the pace engine's rule
(`scorecard.scores.pace`, docs/pace.md "Goals"): the latest row effective on
or before the period's last day, else the catalog default; an empty goal
means "no goal from then on".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from scorecard.catalog import Catalog
from scorecard.store import Store, insert_missing, upsert

GOAL_SOURCES = ("manual", "import", "derived")


class InvalidGoal(ValueError):
    pass


@dataclass(frozen=True)
class GoalChange:
    rep_id: int
    metric: str
    weekly_goal: float | None
    effective_from: date


def set_goals(store: Store, catalog: Catalog, changes: Iterable[GoalChange], source: str = "manual") -> int:
    """Record goal changes in one transaction; any invalid change rejects them all."""
    rows = list(changes)
    if source not in GOAL_SOURCES:
        raise InvalidGoal(f"unknown goal source {source!r}")
    for change in rows:
        if change.metric not in catalog.metrics:
            raise InvalidGoal(f"unknown metric {change.metric!r}; use one of {', '.join(catalog.metrics)}")
        if change.weekly_goal is not None and not change.weekly_goal >= 0:
            raise InvalidGoal(f"goal for {change.metric} must be zero or more, not {change.weekly_goal}")
    # The last change for a key wins, as if applied one by one; one statement keeps thousands of rows fast.
    latest = {(c.rep_id, c.metric, c.effective_from): c for c in rows}
    frame = pl.DataFrame(
        [(c.rep_id, c.metric, c.weekly_goal, c.effective_from) for c in latest.values()],
        schema={"rep_id": pl.Int32, "metric": pl.String, "weekly_goal": pl.Float64, "effective_from": pl.Date},
        orient="row",
    )
    with store.write() as cur:
        # One timestamp for the whole change, taken inside the write as the file's default did.
        now = cur.execute("SELECT current_timestamp::TIMESTAMP").fetchall()[0][0]
        frame = frame.with_columns(source=pl.lit(source), set_at=pl.lit(now, dtype=pl.Datetime("us")))
        upsert(cur, "goals", ("rep_id", "metric", "effective_from"), frame)
    return len(rows)


def weekly_goals(store: Store, catalog: Catalog, period_end: date) -> pl.DataFrame:
    """Every rep's weekly goal per metric in force for a period ending `period_end`.

    Columns: rep_id (i32), metric (str), weekly_goal (f64), source (str:
    default | manual | import | derived). Only (rep, metric) pairs that have a
    goal are listed. The rule is the pace engine's (docs/pace.md, "Goals").
    """
    # Imported here: the scores package imports the funnel, which imports this module.
    from scorecard.scores.pace import goals_in_force

    return goals_in_force(store, catalog, period_end)


def goal_history(store: Store, rep_id: int) -> pl.DataFrame:
    return store.frame(
        "SELECT metric, weekly_goal, effective_from, source, set_at FROM goals WHERE rep_id = ? ORDER BY metric, effective_from",
        [rep_id],
    )


def add_pto(store: Store, rep_id: int, days: Iterable[date]) -> int:
    rows = sorted(set(days))
    with store.write() as cur:
        for day in rows:
            insert_missing(cur, "pto", ("rep_id", "day"), {"rep_id": rep_id, "day": day})
    return len(rows)


def remove_pto(store: Store, rep_id: int, days: Iterable[date]) -> None:
    with store.write() as cur:
        for day in set(days):
            cur.execute("DELETE FROM pto WHERE rep_id = ? AND day = ?", [rep_id, day])


def pto_days(store: Store, start: date, end: date) -> dict[int, set[date]]:
    """PTO days between `start` and `end` inclusive, per rep_id (reps with none are absent)."""
    result: dict[int, set[date]] = {}
    for rep_id, day in store.fetchall("SELECT rep_id, day FROM pto WHERE day BETWEEN ? AND ?", [start, end]):
        result.setdefault(int(rep_id), set()).add(day)
    return result


def add_pto_rows(store: Store, rows: Iterable[tuple[int, date]]) -> int:
    """Add many reps' PTO days in one transaction (all of them or none)."""
    unique = sorted(set(rows))
    frame = pl.DataFrame(unique, schema={"rep_id": pl.Int32, "day": pl.Date}, orient="row")
    with store.write() as cur:
        insert_missing(cur, "pto", ("rep_id", "day"), frame)
    return len(unique)


QUOTA_PERIODS = ("month", "quarter")


@dataclass(frozen=True)
class QuotaChange:
    rep_id: int
    amount: float
    period: str  # month | quarter
    effective_from: date


def set_quotas(store: Store, changes: Iterable[QuotaChange]) -> int:
    """Record quota changes in one transaction; any invalid change rejects them all."""
    rows = list(changes)
    for change in rows:
        if change.period not in QUOTA_PERIODS:
            raise InvalidGoal(f"quota period must be month or quarter, not {change.period!r}")
        if not change.amount > 0:
            raise InvalidGoal(f"quota amount must be above zero, not {change.amount}")
    latest = {(c.rep_id, c.effective_from): c for c in rows}
    frame = pl.DataFrame(
        [(c.rep_id, c.amount, c.period, c.effective_from) for c in latest.values()],
        schema={"rep_id": pl.Int32, "amount": pl.Float64, "period": pl.String, "effective_from": pl.Date},
        orient="row",
    )
    with store.write() as cur:
        upsert(cur, "quotas", ("rep_id", "effective_from"), frame)
    return len(rows)


def quotas_in_force(store: Store, day: date) -> pl.DataFrame:
    """Each rep's quota in force on `day`: rep_id, amount, period, effective_from."""
    return store.frame(
        """
        SELECT rep_id, amount, period, effective_from
        FROM quotas
        WHERE effective_from <= ?
        QUALIFY row_number() OVER (PARTITION BY rep_id ORDER BY effective_from DESC) = 1
        ORDER BY rep_id
        """,
        [day],
    )
