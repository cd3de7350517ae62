"""Batches after the fact: history, undo, rejected rows, freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from scorecard.catalog import load_catalog
from scorecard.ingest.errors import BatchNotFound
from scorecard.ingest.identity import EVENT_COLUMNS
from scorecard.rollups import mark_touched, refresh_rollups
from scorecard.spreadsheet import guarded_csv
from scorecard.store import Store


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    events_removed: int
    events_kept_shared: int
    events_restored: int = 0  # records this upload had corrected, back to their earlier version


@dataclass(frozen=True)
class Freshness:
    data_through: datetime | None
    last_upload_at: datetime | None
    text: str


# Events this batch links that no other live batch links: the only ones undo may remove.
_ORPHANS = """
SELECT be.event_id FROM batch_events be
WHERE be.batch_id = ?
  AND NOT EXISTS (
      SELECT 1 FROM batch_events o JOIN batches b ON b.batch_id = o.batch_id
      WHERE o.event_id = be.event_id AND o.batch_id <> be.batch_id AND b.status = 'live')
"""


def undo_batch(store: Store, batch_id: int) -> UndoResult:
    """Mark a batch undone and remove the events only it carried; rollups rebuilt in the same transaction.

    A record whose current version goes away gets back its latest version that
    a live upload still carries (the one this upload had corrected), so undoing
    a correction restores what was there before it.
    """
    catalog = load_catalog(store)
    with store.write() as cur:
        rows = cur.execute("SELECT status FROM batches WHERE batch_id = ?", [batch_id]).fetchall()
        if not rows:
            raise BatchNotFound(f"there is no upload with id {batch_id}; list them with `python -m scorecard batches`")
        if rows[0][0] != "live":
            raise BatchNotFound(f"upload {batch_id} is already undone")
        cur.execute(f"CREATE TEMP TABLE _orphans AS {_ORPHANS}", [batch_id])
        linked = cur.execute("SELECT count(DISTINCT event_id) FROM batch_events WHERE batch_id = ?", [batch_id]).fetchall()[0]
        removed = cur.execute("SELECT count(*) FROM events e SEMI JOIN _orphans o ON o.event_id = e.event_id").fetchall()[0]
        orphans_total = cur.execute("SELECT count(*) FROM _orphans").fetchall()[0]
        cur.execute("CREATE TEMP TABLE _gone AS SELECT event_key FROM events e SEMI JOIN _orphans o ON o.event_id = e.event_id")
        mark_touched(
            cur, "SELECT e.rep_id, CAST(e.occurred_at AS DATE) FROM events e SEMI JOIN _orphans o ON o.event_id = e.event_id"
        )
        cur.execute("DELETE FROM events e USING _orphans o WHERE e.event_id = o.event_id")
        # Versions only this batch carried are history of nothing live: they go too.
        cur.execute("DELETE FROM event_versions v USING _orphans o WHERE v.event_id = o.event_id")
        restored = _restore_versions(cur)
        cur.execute("DELETE FROM event_attendees a USING _orphans o WHERE a.event_id = o.event_id")
        refresh_rollups(cur, catalog, touched=True)
        cur.execute(
            "UPDATE batches SET status = 'undone', undone_at = ? WHERE batch_id = ?",
            [datetime.now(UTC).replace(tzinfo=None), batch_id],
        )
        cur.execute("DROP TABLE _orphans")
        cur.execute("DROP TABLE _gone")
    n_removed = int(removed[0]) if removed else 0
    n_linked = int(linked[0]) if linked else 0
    n_orphans = int(orphans_total[0]) if orphans_total else 0
    return UndoResult(
        batch_id=batch_id, events_removed=n_removed, events_kept_shared=n_linked - n_orphans, events_restored=restored
    )


def _restore_versions(cur: duckdb.DuckDBPyConnection) -> int:
    """Put back the latest remaining version of every record in `_gone` (keys that lost their current event)."""
    cur.execute(
        """CREATE TEMP TABLE _restore AS
           SELECT max(v.event_id) AS event_id FROM event_versions v SEMI JOIN _gone g ON g.event_key = v.event_key
           GROUP BY v.event_key"""
    )
    cur.execute(
        f"""INSERT INTO events ({EVENT_COLUMNS})
            SELECT {EVENT_COLUMNS} FROM event_versions v SEMI JOIN _restore r ON r.event_id = v.event_id"""
    )
    cur.execute("DELETE FROM event_versions v USING _restore r WHERE v.event_id = r.event_id")
    mark_touched(cur, "SELECT e.rep_id, CAST(e.occurred_at AS DATE) FROM events e SEMI JOIN _restore r ON r.event_id = e.event_id")
    count = cur.execute("SELECT count(*) FROM _restore").fetchall()[0]
    cur.execute("DROP TABLE _restore")
    return int(count[0]) if count else 0


def list_batches(store: Store) -> pl.DataFrame:
    """Upload history, newest first."""
    return store.frame(
        """SELECT batch_id AS id, file_name AS file, status, uploaded_at, source, layout, rows_read, rows_added,
                  rows_duplicate, rows_rejected, rows_skipped, new_reps, unmapped_labels, data_from, data_to, undone_at,
                  coalesce(rows_corrected, 0) AS rows_corrected, coalesce(rows_outdated, 0) AS rows_outdated,
                  record_source, CAST(coalesce(notes, '[]') AS JSON)::VARCHAR[] AS notes
           FROM batches ORDER BY batch_id DESC"""
    )


def batch_rejects(store: Store, batch_id: int) -> pl.DataFrame:
    if store.scalar("SELECT count(*) FROM batches WHERE batch_id = ?", [batch_id]) == 0:
        raise BatchNotFound(f"there is no upload with id {batch_id}; list them with `python -m scorecard batches`")
    return store.frame(
        "SELECT line_no, column_name AS column, reason, raw FROM rejected_rows WHERE batch_id = ? ORDER BY line_no",
        [batch_id],
    )


def csv_safe(frame: pl.DataFrame) -> bytes:
    """CSV whose text cells cannot run as spreadsheet formulas (prefixed with ')."""
    return guarded_csv(frame)


def _ago(delta_s: float) -> str:
    minutes = int(delta_s // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


def data_freshness(store: Store, now_utc: datetime) -> Freshness:
    """'Data through Fri 20 Nov 16:12 · uploaded 3 h ago'."""
    through = store.scalar("SELECT max(occurred_at) FROM events")
    uploaded = store.scalar("SELECT max(uploaded_at) FROM batches WHERE status = 'live'")
    if through is None:
        return Freshness(None, uploaded, "No data uploaded yet")
    now = now_utc.replace(tzinfo=None) if now_utc.tzinfo else now_utc
    text = f"Data through {through:%a %d %b %Y %H:%M}"
    if uploaded is not None:
        text += f" · uploaded {_ago((now - uploaded).total_seconds())}"
    return Freshness(through, uploaded, text)
