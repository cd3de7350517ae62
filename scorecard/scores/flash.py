"""The weekly flash report: lead measures first, then lag; one row per rep and a team total."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import polars as pl

from scorecard.calendar import Period, week_of
from scorecard.scores._context import context
from scorecard.scores._reps import Scope, scope_reps
from scorecard.scores.pace import week_cells
from scorecard.spreadsheet import guard_cell
from scorecard.store import Store
from scorecard.text import escape_md

TEAM_TOTAL = "Team total"
@dataclass(frozen=True)
class FlashReport:
    period: Period
    team: str | None
    as_of: datetime
    frame: pl.DataFrame  # rep, slug, then per metric: "<Label>", "<Label> goal", "<Label> % of goal"

    def to_csv(self) -> bytes:
        """CSV with a formula-injection guard: a text cell starting with = + - @ tab or CR gets a leading '."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([guard_cell(c) for c in self.frame.columns])
        for row in self.frame.iter_rows():
            writer.writerow([_csv_value(v) for v in row])
        return out.getvalue().encode("utf-8")

    def to_markdown(self) -> str:
        """A printable table; percentages shown as whole percents. Names and labels are escaped, never rendered."""
        title = f"# Weekly flash: {_md(self.period.label)}" + (f" · {_md(self.team)}" if self.team else " · all teams")
        columns = [c for c in self.frame.columns if c != "slug"]
        lines = [title, "", "| " + " | ".join(_md(c) for c in columns) + " |", "|" + "---|" * len(columns)]
        for row in self.frame.select(columns).iter_rows():
            cells_ = [_md(_show(name, value)) for name, value in zip(columns, row, strict=True)]
            lines.append("| " + " | ".join(cells_) + " |")
        lines += ["", "Lead measures come first: they predict the results that follow."]
        return "\n".join(lines) + "\n"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return guard_cell(value)
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 10 else f"{value:.2f}".rstrip("0").rstrip(".")
    return value


def _md(text: str) -> str:
    # Escapes every Markdown mark (| too, so a name cannot split a table row) and HTML's < > &.
    return escape_md(text)


def _show(column: str, value: Any) -> str:
    if value is None:
        return "–"
    if column.endswith("% of goal"):
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    return str(value)


def flash_report(
    store: Store, week_start: date, *, team: str | None = None, as_of: datetime | None = None
) -> FlashReport:
    """The flash report for the week containing `week_start`.

    `as_of` defaults to the end of that week, so a completed week shows all of
    it and the current week shows everything loaded so far.
    """
    ctx = context(store)
    week = week_of(week_start, ctx.settings.week_start)
    moment = as_of or datetime.combine(week.end, time(23, 59, 59))
    scope = Scope(team=team)
    reps = scope_reps(ctx, scope)
    metrics = ctx.catalog.ordered()
    got = week_cells(store, ctx, scope, [week], moment) if reps.height else None
    base = reps.select(pl.col("display_name").alias("rep"), "slug", "rep_id")
    with_goal = set() if got is None else set(got.filter(pl.col("goal").is_not_null()).get_column("metric").to_list())
    columns: list[pl.Expr] = []
    total: dict[str, Any] = {"rep": TEAM_TOTAL, "slug": ""}
    for m in metrics:
        part = (
            pl.DataFrame(schema={"rep_id": pl.Int32, "actual": pl.Float64, "goal": pl.Float64})
            if got is None
            else got.filter(pl.col("metric") == m.key).select("rep_id", "actual", "goal")
        )
        base = base.join(
            part.rename({"actual": m.key, "goal": f"{m.key}__goal"}), on="rep_id", how="left"
        ).with_columns(pl.col(m.key).fill_null(0.0))
        columns.append(pl.col(m.key).alias(m.label))
        total[m.label] = float(base.get_column(m.key).sum())
        if m.key in with_goal:
            goal_col = f"{m.key}__goal"
            pct = pl.when(pl.col(goal_col) > 0).then(pl.col(m.key) / pl.col(goal_col))
            columns += [pl.col(goal_col).alias(f"{m.label} goal"), pct.alias(f"{m.label} % of goal")]
            has = base.filter(pl.col(goal_col) > 0)
            goal_sum = float(has.get_column(goal_col).sum())
            total[f"{m.label} goal"] = goal_sum
            total[f"{m.label} % of goal"] = float(has.get_column(m.key).sum()) / goal_sum if goal_sum > 0 else None
    frame = base.sort("rep").select(pl.col("rep"), pl.col("slug"), *columns)
    totals = pl.DataFrame([total], schema=frame.schema, orient="row")
    return FlashReport(period=week, team=team, as_of=moment, frame=pl.concat([frame, totals]))
