"""Daily rollups: events counted per rep, day and metric.

They are rebuilt, never patched, for exactly the rep-days a change touched,
inside the caller's transaction, so they can never drift from the events.
Rebuilding (instead of adding deltas) also makes a mapping change re-map
history: rebuild everything with the new catalog.
"""

from __future__ import annotations

import duckdb
import polars as pl

from scorecard.catalog import Catalog

TOUCHED_TABLE = "_touched_rep_days"


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
    it, see `mark_touched`); otherwise every rollup is rebuilt.
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
        cur.execute(f"DROP TABLE IF EXISTS {TOUCHED_TABLE}")


def mark_touched(cur: duckdb.DuckDBPyConnection, select_rep_days_sql: str, params: list[object] | None = None) -> None:
    """Collect the rep-days that a change touches, from a query yielding (rep_id, day).

    Call it before deleting events (so the deleted rows are still visible) or
    after inserting them; then call `refresh_rollups(..., touched=True)`.
    """
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {TOUCHED_TABLE} (rep_id INTEGER, day DATE)")
    cur.execute(f"INSERT INTO {TOUCHED_TABLE} SELECT DISTINCT * FROM ({select_rep_days_sql})", params)
