"""Roster page (AppTest): locked without the passcode, rename a rep, field errors, merge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard.store import Store, open_store
from tests.ui_apptest import app, seeded_db, texts

PAGE = "pages/manage_roster.py"


@contextmanager
def _db(path: Path) -> Iterator[Store]:
    """The app's own process-wide store (a second connection to the file is not allowed)."""
    yield open_store(path)


def unlocked(tmp_path: Path) -> AppTest:
    at = app(PAGE, tmp_path)
    at.session_state["manager_unlocked"] = True
    return at.run()


def test_locked_without_the_passcode_then_unlocks(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path).run()
    assert not at.exception
    assert "for managers" in texts(at)
    assert not at.dataframe and not at.checkbox  # nothing shown, nothing editable
    at.text_input(key="manager_gate_page_input").input("wrong")
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert "not right" in texts(at) and not at.dataframe
    at.text_input(key="manager_gate_page_input").input("test-passcode")
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert not at.exception
    assert at.dataframe and at.selectbox(key="edit_rep")


def test_rename_a_rep(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = unlocked(tmp_path)
    rep_id = at.selectbox(key="edit_rep").value
    at.text_input(key=f"name_{rep_id}").input("Ana López-Smith")
    at.text_input(key=f"slug_{rep_id}").input("ana-smith")
    next(b for b in at.button if b.label == "Save rep").click().run()
    assert not at.exception
    assert "Saved" in texts(at) and "ana-smith" in texts(at)
    with _db(db) as store:
        row = store.fetchone("SELECT display_name, slug, aliases FROM reps WHERE rep_id = ?", [rep_id])
    assert row == ("Ana López-Smith", "ana-smith", ["Ana Lopez"])
    # The form refills from the database: the old name shows as an alias.
    assert at.text_area(key=f"aliases_{rep_id}").value == "Ana Lopez"


def test_invalid_email_shows_at_the_field_and_saves_nothing(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = unlocked(tmp_path)
    rep_id = at.selectbox(key="edit_rep").value
    at.text_input(key=f"email_{rep_id}").input("ana at acme")
    at.text_input(key=f"name_{rep_id}").input("Ana Renamed")
    next(b for b in at.button if b.label == "Save rep").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "not an email address" in at.error[0].value.replace("\\", "")
    with _db(db) as store:
        assert store.scalar("SELECT display_name FROM reps WHERE rep_id = ?", [rep_id]) == "Ana Lopez"


def test_merge_two_reps(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    with _db(db) as store:
        before = store.scalar("SELECT count(*) FROM events")
        ids = dict(store.fetchall("SELECT slug, rep_id FROM reps"))
    at = unlocked(tmp_path)
    at.selectbox(key="merge_keep").set_value(ids["ana-lopez"]).run()
    at.selectbox(key="merge_other").set_value(ids["ben-carter"]).run()
    assert at.button(key="merge_go").disabled
    at.checkbox(key="merge_confirm").check().run()
    at.button(key="merge_go").click().run()
    assert not at.exception
    assert "Merged:" in texts(at)
    with _db(db) as store:
        assert store.scalar("SELECT count(*) FROM events") == before
        assert store.scalar("SELECT count(*) FROM reps WHERE slug = 'ben-carter'") == 0
        assert "Ben Carter" in store.scalar("SELECT aliases FROM reps WHERE slug = 'ana-lopez'")
