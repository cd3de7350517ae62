"""Daily and weekly rollups: events counted per rep, day (or week) and metric.

They are rebuilt, never patched, for exactly the rep-days a change touched,
inside the caller's transaction, so they can never drift from the events.
Rebuilding (instead of adding deltas) also makes a mapping change re-map
history: rebuild everything with the new catalog.

Weekly rollups are the daily ones summed per rep and week, so a score reads a
week as one row. A week starts on the team's week-start day, so they depend on
that setting too: meta records the day they were built for, and
`sync_week_start` rebuilds them (in the settings' own transaction) when the
setting moves. Every rebuild of daily rows rebuilds the weeks holding them.

Every rebuild also logs the first day it changed (`store.log_activity_change`),
so a reader can keep what it derived from earlier days (docs/live-pages.md).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import duckdb
import polars as pl

from scorecard.catalog import Catalog
from scorecard.store import Reads, Snapshot, log_activity_change

TOUCHED_TABLE = "_touched_rep_days"
WEEK_START_KEY = "weekly_rollups_week_start"


def week_start_sql(column: str) -> str:
    """SQL for the first day of the week holding `column` (a DATE); binds one parameter, the week-start day.

    `column` must be a fixed identifier from our own code, never input.
    Python's weekday is isodow - 1; each day goes back to its week's start.
    """
    return f"{column} - CAST((isodow({column}) - 1 - ? + 7) % 7 AS INTEGER)"


def _label_metrics(cur: duckdb.DuckDBPyConnection, catalog: Catalog, touched: bool) -> pl.DataFrame:
    scope = f"SEMI JOIN {TOUCHED_TABLE} t ON t.rep_id = e.rep_id AND t.day = CAST(e.occurred_at AS DATE)" if touched else ""
    combos = cur.execute(f"SELECT DISTINCT activity_label, outcome_label FROM events e {scope}").fetchall()
    rows = [
        (activity, outcome, metric)
        for activity, outcome in combos
        for metric in catalog.metrics_for(activity or "", outcome or "")
    ]
    return pl.DataFrame(
        rows,
        schema={"activity_label": pl.String, "outcome_label": pl.String, "metric": pl.String},
        orient="row",
    )


def refresh_rollups(cur: duckdb.DuckDBPyConnection, catalog: Catalog, *, touched: bool) -> None:
    """Rebuild rollups inside the caller's transaction.

    With `touched=True`, only the rep-days listed in the temporary table
    `_touched_rep_days(rep_id INTEGER, day DATE)` are rebuilt (the caller fills
    it, see `mark_touched`), and the weeks holding them; otherwise every
    rollup is rebuilt.
    """
    label_metrics = _label_metrics(cur, catalog, touched)
    cur.register("_label_metrics", label_metrics)
    try:
        if touched:
            cur.execute(
                f"DELETE FROM daily_rollups r USING {TOUCHED_TABLE} t WHERE r.rep_id = t.rep_id AND r.day = t.day"
            )
            scope = f"SEMI JOIN {TOUCHED_TABLE} t ON t.rep_id = e.rep_id AND t.day = CAST(e.occurred_at AS DATE)"
        else:
            cur.execute("DELETE FROM daily_rollups")
            scope = ""
        # Label columns may be NULL for unlabelled rows: compare with IS NOT DISTINCT FROM.
        cur.execute(
            f"""
            INSERT INTO daily_rollups
            SELECT e.rep_id, CAST(e.occurred_at AS DATE) AS day, lm.metric,
                   count(*) AS n, coalesce(sum(e.amount), 0) AS amount
            FROM events e
            {scope}
            JOIN _label_metrics lm
              ON lm.activity_label IS NOT DISTINCT FROM e.activity_label
             AND lm.outcome_label IS NOT DISTINCT FROM e.outcome_label
            GROUP BY ALL
            """
        )
    finally:
        cur.unregister("_label_metrics")
    if touched:
        first, last = cur.execute(f"SELECT min(day), max(day) FROM {TOUCHED_TABLE}").fetchall()[0]
        _refresh_touched_weeks(cur)
        cur.execute(f"DROP TABLE IF EXISTS {TOUCHED_TABLE}")
        if first is not None:
            log_activity_change(cur, first, last, lambda: day_events(Snapshot(cur), first, last))
    else:
        rebuild_weekly_rollups(cur)


def day_events(db: Reads, first: date, last: date) -> pl.DataFrame:
    """Every event of days first..last inclusive, as scores map them: occurred_at, rep_id, label, outcome, amount.

    In no particular order. One row per event: events rarely share a moment,
    so grouping them in SQL costs more than it saves.
    """
    return db.frame(
        """
        SELECT occurred_at, rep_id, coalesce(activity_label, '') AS label,
               coalesce(outcome_label, '') AS outcome, coalesce(amount, 0)::DOUBLE AS amount
        FROM events WHERE occurred_at >= ? AND occurred_at < ?
        """,
        [datetime.combine(first, time.min), datetime.combine(last + timedelta(days=1), time.min)],
    )


def mark_touched(cur: duckdb.DuckDBPyConnection, select_rep_days_sql: str, params: list[object] | None = None) -> None:
    """Collect the rep-days that a change touches, from a query yielding (rep_id, day).

    Call it before deleting events (so the deleted rows are still visible) or
    after inserting them; then call `refresh_rollups(..., touched=True)`.
    """
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {TOUCHED_TABLE} (rep_id INTEGER, day DATE)")
    cur.execute(f"INSERT INTO {TOUCHED_TABLE} SELECT DISTINCT * FROM ({select_rep_days_sql})", params)


# -- weekly ------------------------------------------------------------------


def built_week_start(cur: duckdb.DuckDBPyConnection) -> int:
    """The week-start day (0 = Monday) the weekly rollups are built for."""
    row = cur.execute("SELECT value FROM meta WHERE key = ?", [WEEK_START_KEY]).fetchone()
    if row is None:  # only before migration 2, which always records it
        raise LookupError("weekly rollups are missing; the database needs its migrations")
    return int(row[0])


def rebuild_weekly_rollups(cur: duckdb.DuckDBPyConnection) -> None:
    """Recount every weekly rollup from the daily ones, inside the caller's transaction."""
    log_activity_change(cur, None)
    week_start = built_week_start(cur)
    cur.execute("DELETE FROM weekly_rollups")
    cur.execute(
        f"""
        INSERT INTO weekly_rollups
        SELECT rep_id, {week_start_sql("day")} AS week_start, metric, sum(n), sum(amount)
        FROM daily_rollups GROUP BY ALL
        ORDER BY week_start, rep_id  -- week order keeps reads of a few weeks to a few row groups
        """,
        [week_start],
    )


def sync_week_start(cur: duckdb.DuckDBPyConnection, week_start: int) -> None:
    """Rebuild the weekly rollups when the team's week now starts on another day.

    Call it in the transaction that stores the setting, so no reader sees
    weeks cut on the old day under the new setting.
    """
    if built_week_start(cur) == week_start:
        return
    cur.execute("UPDATE meta SET value = ? WHERE key = ?", [str(week_start), WEEK_START_KEY])
    rebuild_weekly_rollups(cur)


def _refresh_touched_weeks(cur: duckdb.DuckDBPyConnection) -> None:
    """Recount the weeks holding the touched rep-days from the (already rebuilt) daily rollups."""
    week_start = built_week_start(cur)
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _touched_rep_weeks AS
        SELECT DISTINCT rep_id, {week_start_sql("day")} AS week_start FROM {TOUCHED_TABLE}
        """,
        [week_start],
    )
    bounds = cur.execute("SELECT min(week_start), max(week_start) FROM _touched_rep_weeks").fetchone()
    if bounds is None or bounds[0] is None:
        cur.execute("DROP TABLE _touched_rep_weeks")
        return
    cur.execute(
        "DELETE FROM weekly_rollups w USING _touched_rep_weeks t "
        "WHERE w.rep_id = t.rep_id AND w.week_start = t.week_start"
    )
    # The day range first, so only those weeks' daily rows are bucketed and matched.
    cur.execute(
        f"""
        INSERT INTO weekly_rollups
        SELECT rep_id, week_start, metric, sum(n), sum(amount)
        FROM (
            SELECT rep_id, {week_start_sql("day")} AS week_start, metric, n, amount
            FROM daily_rollups WHERE day >= ? AND day < CAST(? AS DATE) + 7
        ) d
        SEMI JOIN _touched_rep_weeks USING (rep_id, week_start)
        GROUP BY ALL
        ORDER BY week_start, rep_id
        """,
        [week_start, bounds[0], bounds[1]],
    )
    cur.execute("DROP TABLE _touched_rep_weeks")
