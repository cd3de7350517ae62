from __future__ import annotations

from datetime import datetime

from scorecard.store import Store
from tests.factories import add_counts, add_rep


def test_add_counts_fills_events_and_rollups(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    add_counts(store, ana, datetime(2026, 11, 23, 10), {"conversations": 2, "calls": 3, "meetings": 1})
    rollups = dict(store.fetchall("SELECT metric, n FROM daily_rollups WHERE rep_id = ?", [ana]))
    assert rollups == {"calls": 5, "conversations": 2, "meetings": 1}
    assert store.scalar("SELECT count(*) FROM events") == 6
