"""Upload page (AppTest): the manager gate, preview, import summary, a rejected file, undo."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from scorecard.ingest import list_batches
from scorecard.store import Store
from tests.ui_apptest import app, app_store_closed, seeded_db, texts  # noqa: F401

PAGE = "pages/upload.py"
CSV = (
    b"Rep,Date,Type,Outcome\n"
    b"Ana Lopez,2026-11-18 10:00,Call,Connected\n"
    b"Ana Lopez,2026-11-18 10:30,Meeting,\n"
    b"Zoe New,2026-11-18 11:00,Call,No answer\n"
    b"Ana Lopez,not a date,Call,Connected\n"
)


def _unlocked(tmp_path: Path) -> AppTest:
    at = app(PAGE, tmp_path).run()
    at.text_input(key="manager_gate_page_input").input("test-passcode")
    at.button[0].click().run()  # the form's Unlock button
    assert not at.exception
    return at


def test_locked_without_passcode_shows_no_uploader(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path).run()
    assert not at.exception
    assert len(at.file_uploader) == 0
    assert "for managers" in texts(at)


def test_wrong_passcode_stays_locked(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path).run()
    at.text_input(key="manager_gate_page_input").input("guess")
    at.button[0].click().run()
    assert len(at.file_uploader) == 0
    assert "not right" in texts(at)


def test_passcode_unlocks_then_preview_import_summary_and_undo(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = _unlocked(tmp_path)
    assert len(at.file_uploader) == 1
    at.file_uploader[0].set_value(("week.csv", CSV, "text/csv")).run()
    assert not at.exception
    body = texts(at)
    assert "week.csv" in body
    assert "Detected layout" in body
    assert at.dataframe[0].value.shape[0] >= 3  # the parsed preview rows
    assert "will be rejected" in body  # the bad row is announced before anything is written
    import_button = next(b for b in at.button if b.label.startswith("Import"))
    import_button.click().run()
    assert not at.exception
    summary = texts(at)
    assert "2 added" in summary or "3 added" in summary
    assert "rejected" in summary
    assert "Zoe New" in summary
    assert any(d.label == "Download the 1 rejected row (CSV)" for d in at.get("download_button"))
    shown_rejects = next(df.value for df in at.dataframe if "reason" in df.value.columns)
    assert shown_rejects.shape[0] == 1 and shown_rejects["line_no"].iloc[0] > 1  # the line and why, on screen
    # History with undo, behind a confirm step.
    live_before = _live_batches(db)
    at.button(key="undo_ask").click().run()
    assert "Its rows leave every scorecard" in texts(at)
    assert _live_batches(db) == live_before
    at.button(key="undo_yes").click().run()
    assert not at.exception
    assert "undone" in texts(at)
    assert _live_batches(db) == live_before - 1


def test_unreadable_file_is_an_error_naming_it_and_writes_nothing(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = _unlocked(tmp_path)
    before = _live_batches(db)
    at.file_uploader[0].set_value(("empty.csv", b"Rep,Date,Type\n", "text/csv")).run()
    assert not at.exception
    assert at.error and "empty.csv" in at.error[0].value.replace("\\", "")
    assert not [b for b in at.button if b.label.startswith("Import")]
    assert _live_batches(db) == before


def _live_batches(db: Path) -> int:
    from scorecard.ui import get_store

    del db
    store: Store = get_store()
    return list_batches(store).filter(pl.col("status") == "live").height


def test_ambiguous_dates_ask_for_the_order_before_import(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = _unlocked(tmp_path)
    ambiguous = b"Rep,Date,Type\nAna Lopez,03/04/2026,Meeting\nAna Lopez,05/06/2026,Meeting\n"
    at.file_uploader[0].set_value(("ambiguous.csv", ambiguous, "text/csv")).run()
    assert not at.exception
    order = at.radio[0]
    assert order.options == ["Day first (31/12/2026)", "Month first (12/31/2026)"]
    assert not [b for b in at.button if b.label.startswith("Import")]
    order.set_value("dayfirst").run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert str(preview["occurred_at"].iloc[0]).startswith("2026-04-03")
    assert [b for b in at.button if b.label.startswith("Import 2 rows")]
