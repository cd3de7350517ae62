"""Tiny, explicit fixtures built in code.

`add_activity` writes events the way a committed batch would (batch row,
events, links and rebuilt rollups in one transaction), so score tests can
state exactly what happened without going through file parsing.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from scorecard.catalog import load_catalog, normalize_label
from scorecard.rollups import mark_touched, refresh_rollups
from scorecard.store import Store

# A raw (type, outcome) an export would carry for one unit of each metric.
RAW_FOR_METRIC: dict[str, tuple[str, str]] = {
    "calls": ("Call", "No answer"),
    "conversations": ("Call", "Connected"),
    "meetings": ("Meeting", ""),
    "opportunities": ("Opportunity created", ""),
    "proposals": ("Proposal sent", ""),
    "deals_won": ("Closed Won", ""),
}

_counter = itertools.count(1)


def new_store(tmp_path: Path, name: str = "scorecard.duckdb") -> Store:
    return Store(tmp_path / name)


def add_rep(store: Store, name: str, *, team: str = "Sales", email: str | None = None, slug: str | None = None) -> int:
    slug = slug or name.lower().replace(" ", "-")
    with store.write() as cur:
        row = cur.execute(
            "INSERT INTO reps (slug, display_name, email, team) VALUES (?, ?, ?, ?) RETURNING rep_id",
            [slug, name, email, team],
        ).fetchone()
    assert row is not None
    return int(row[0])


def add_activity(
    store: Store,
    rep_id: int,
    events: Iterable[tuple[datetime, str] | tuple[datetime, str, float]],
) -> int:
    """Add events given as (when, metric_key[, amount]); returns the batch id.

    `metric_key` picks a raw export label that counts toward that metric
    (a conversation is a connected call, so it also counts as a call).
    """
    rows = []
    for event in events:
        when, metric = event[0], event[1]
        amount = float(event[2]) if len(event) > 2 else None  # type: ignore[misc]
        raw_type, raw_outcome = RAW_FOR_METRIC[metric]
        serial = next(_counter)
        key = int.from_bytes(hashlib.md5(f"test|{serial}".encode()).digest(), "big")
        rows.append((serial, key, rep_id, when, raw_type, raw_outcome, normalize_label(raw_type), normalize_label(raw_outcome), amount))
    catalog = load_catalog(store)
    with store.write() as cur:
        batch = cur.execute(
            "INSERT INTO batches (file_name, source, uploaded_at, rows_read, rows_added) "
            "VALUES ('test', 'test', current_timestamp::TIMESTAMP, ?, ?) RETURNING batch_id",
            [len(rows), len(rows)],
        ).fetchone()
        assert batch is not None
        batch_id = int(batch[0])
        for serial, key, rep, when, raw_type, raw_outcome, activity, outcome, amount in rows:
            cur.execute(
                "INSERT INTO events (event_id, event_key, rep_id, occurred_at, raw_type, raw_outcome, raw_subject, "
                "activity_label, outcome_label, amount, record_id, first_batch_id) "
                "VALUES (?, ?::UHUGEINT, ?, ?, ?, ?, NULL, ?, ?, ?, NULL, ?)",
                [serial, str(key), rep, when, raw_type, raw_outcome, activity, outcome, amount, batch_id],
            )
            cur.execute("INSERT INTO batch_events VALUES (?, ?)", [batch_id, serial])
        mark_touched(
            cur,
            "SELECT e.rep_id, CAST(e.occurred_at AS DATE) FROM events e JOIN batch_events b USING (event_id) WHERE b.batch_id = ?",
            [batch_id],
        )
        refresh_rollups(cur, catalog, touched=True)
    return batch_id


def add_counts(store: Store, rep_id: int, when: datetime, counts: dict[str, int]) -> int:
    """Shorthand: `counts` of each metric, all at `when`."""
    return add_activity(store, rep_id, [(when, metric) for metric, n in counts.items() for _ in range(n)])
