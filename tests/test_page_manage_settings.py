"""Settings page (AppTest): locked without the passcode, change the week start, field errors, restore."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard.backup import backup_bytes
from scorecard.settings import load_settings
from scorecard.store import open_store
from tests.ui_apptest import app, seeded_db, texts

PAGE = "pages/manage_settings.py"


def unlocked(tmp_path: Path) -> AppTest:
    at = app(PAGE, tmp_path)
    at.session_state["manager_unlocked"] = True
    return at.run()


def _save(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label == "Save settings").click().run()


def test_locked_without_the_passcode(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path).run()
    assert not at.exception
    assert "for managers" in texts(at)
    assert not at.selectbox and not at.number_input and not at.download_button and not at.file_uploader
    assert [b.label for b in at.button] == ["Unlock"]


def test_change_the_week_start(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = unlocked(tmp_path)
    assert not at.exception
    assert at.selectbox(key="s_week_start").value == 0
    at.selectbox(key="s_week_start").set_value(6)
    _save(at)
    assert not at.exception
    assert "Settings saved" in texts(at)
    assert load_settings(open_store(db)).week_start == 6
    assert at.selectbox(key="s_week_start").value == 6


def test_invalid_fields_are_named_at_the_field_and_nothing_changes(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    before = load_settings(open_store(db))
    at = unlocked(tmp_path)
    at.text_input(key="s_holiday_country").input("XX")
    at.text_area(key="s_custom_holidays").input("2026-12-24\nnext friday")
    at.selectbox(key="s_week_start").set_value(4)
    _save(at)
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    # Each message sits under its field (document order), the summary by the button.
    assert len(errors) == 3
    assert "'XX'" in errors[0] and "'next friday'" in errors[1]
    assert errors[2].startswith("Nothing was saved")
    assert load_settings(open_store(db)) == before


def test_restore_refuses_a_csv_and_restores_a_backup(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    store = open_store(db)
    good = backup_bytes(store)
    reps = store.scalar("SELECT count(*) FROM reps")
    at = unlocked(tmp_path)
    assert at.download_button(key="backup_download") is not None

    at.file_uploader(key="restore_file").upload("export.duckdb", b"rep,date\nAna,2026-11-02\n").run()
    at.checkbox(key="restore_confirm").check().run()
    at.button(key="restore_go").click().run()
    assert not at.exception
    assert "not a DuckDB file" in at.error[0].value.replace("\\", "")
    assert open_store(db) is store and store.scalar("SELECT count(*) FROM reps") == reps

    with store.write() as cur:
        cur.execute("DELETE FROM reps WHERE slug = 'ana-lopez'")
    at.file_uploader(key="restore_file").upload("backup.duckdb", good).run()
    at.checkbox(key="restore_confirm").check().run()
    at.button(key="restore_go").click().run()
    assert not at.exception
    assert "Restored:" in texts(at)
    assert open_store(db).scalar("SELECT count(*) FROM reps") == reps
    assert len(list((db.parent / "backups").glob("*.duckdb"))) == 1
