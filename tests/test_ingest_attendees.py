"""Exports that say who else took part: the attendees (or second owner) column is kept as written."""

from __future__ import annotations

from scorecard.ingest import detect_layout, ingest_bytes
from scorecard.store import Store

GENERIC = b"""rep,date,type,outcome,second owner
Ana Lopez,2026-10-19 10:00,Meeting,,Maria Boss
Ana Lopez,2026-10-19 11:00,Call,Connected,
"""


def test_layouts_name_the_attendees_column() -> None:
    assert detect_layout("x.csv", ["rep", "date", "type", "Second owner"]).column_map["attendees"] == "Second owner"
    pipedrive = ["Activity - ID", "Activity - Assigned to user", "Activity - Due date", "Activity - Type", "Activity - Attendees"]
    found = detect_layout("x.csv", pipedrive)
    assert found.layout.name == "pipedrive_activity" and found.column_map["attendees"] == "Activity - Attendees"
    assert "attendees" not in detect_layout("x.csv", ["rep", "date", "type"]).column_map


def test_the_raw_value_is_kept_once_per_event(store: Store) -> None:
    first = ingest_bytes(store, "a.csv", GENERIC)
    assert first.rows_added == 2
    rows = store.fetchall(
        "SELECT e.raw_type, a.raw FROM event_attendees a JOIN events e USING (event_id) ORDER BY e.occurred_at"
    )
    assert rows == [("Meeting", "Maria Boss")]
    again = ingest_bytes(store, "b.csv", GENERIC)  # the same rows again: nothing new, no second row
    assert again.rows_added == 0
    assert store.scalar("SELECT count(*) FROM event_attendees") == 1
