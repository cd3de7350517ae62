"""Mapping page (AppTest): locked without the passcode; map an unmapped label, history re-maps, and back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard.catalog import load_catalog
from scorecard.rollups import mark_touched, refresh_rollups
from scorecard.store import Store, open_store
from tests.ui_apptest import app, seeded_db, texts

PAGE = "pages/manage_mapping.py"


def _add_zoom_calls(store: Store, rep_id: int, n: int) -> None:
    """Events whose type ('Zoom call') the shipped mapping does not know."""
    with store.write() as cur:
        first = int(cur.execute("SELECT max(event_id) FROM events").fetchone()[0]) + 1  # type: ignore[index]
        for i in range(n):
            cur.execute(
                "INSERT INTO events (event_id, event_key, rep_id, occurred_at, raw_type, activity_label, outcome_label, "
                "first_batch_id) VALUES (?, ?::UHUGEINT, ?, ?, 'Zoom call', 'zoom call', '', 1)",
                [first + i, str(7 * 10**20 + i), rep_id, datetime(2026, 11, 10, 10 + i)],
            )
        mark_touched(cur, "SELECT ?::INTEGER, DATE '2026-11-10'", [rep_id])
        refresh_rollups(cur, load_catalog(store), touched=True)


def _meetings(store: Store) -> int:
    return int(store.scalar("SELECT coalesce(sum(n), 0) FROM daily_rollups WHERE metric = 'meetings'"))


def unlocked(tmp_path: Path) -> AppTest:
    at = app(PAGE, tmp_path)
    at.session_state["manager_unlocked"] = True
    return at.run()


def test_locked_without_the_passcode(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path).run()
    assert not at.exception
    assert "for managers" in texts(at)
    assert not at.dataframe and not at.selectbox
    assert [b.label for b in at.button] == ["Unlock"]


def test_map_an_unmapped_label_then_reset(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    store = open_store(db)
    _add_zoom_calls(store, 1, 4)
    meetings = _meetings(store)
    at = unlocked(tmp_path)
    assert not at.exception
    assert "count toward no metric yet" in texts(at)
    picker = at.selectbox(key="map_activity_label")
    assert picker.value == "zoom call"  # unmapped labels first
    at.selectbox(key="map_activity_target").set_value("meeting")
    next(b for b in at.button if b.label == "Apply mapping").click().run()
    assert not at.exception
    assert "4 of 4 events" in texts(at) and "Meetings +4" in texts(at)
    assert _meetings(store) == meetings + 4

    at.selectbox(key="map_activity_label").set_value("zoom call")
    next(b for b in at.button if b.label == "Reset to shipped default").click().run()
    assert not at.exception
    assert _meetings(store) == meetings
    assert store.scalar("SELECT count(*) FROM label_map") == 0
