"""PTO page (AppTest): locked without the passcode, add PTO over a range, a bad range changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard.store import open_store
from tests.ui_apptest import app, seeded_db, texts

PAGE = "pages/manage_pto.py"
AS_OF = "2026-11-18T14:00"


def unlocked(tmp_path: Path) -> AppTest:
    at = app(PAGE, tmp_path, as_of=AS_OF)
    at.session_state["manager_unlocked"] = True
    return at.run()


def test_locked_without_the_passcode(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    assert "for managers" in texts(at)
    assert not at.date_input and not at.selectbox
    assert [b.label for b in at.button] == ["Unlock"]


def test_add_pto_over_a_weekend_adds_working_days_and_shows_on_the_calendar(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = unlocked(tmp_path)
    assert not at.exception
    rep_id = at.selectbox(key="pto_rep").value
    # Fri Nov 20 → Tue Nov 24: Thanksgiving is later (Nov 26), the weekend needs no PTO.
    at.date_input(key="pto_range").set_value((date(2026, 11, 20), date(2026, 11, 24))).run()
    at.button(key="pto_add").click().run()
    assert not at.exception
    assert "3 working day(s) of PTO" in texts(at)
    store = open_store(db)
    assert [d for (d,) in store.fetchall("SELECT day FROM pto WHERE rep_id = ? ORDER BY day", [rep_id])] == [
        date(2026, 11, 20),
        date(2026, 11, 23),
        date(2026, 11, 24),
    ]
    calendar = at.dataframe[0].value
    assert "20 🌴" in calendar.to_numpy().ravel().tolist()
    assert "26 🎉" in calendar.to_numpy().ravel().tolist()  # Thanksgiving
    upcoming = at.dataframe[1].value
    assert upcoming["days"].tolist() == [3]  # one run across the weekend

    at.button(key="pto_remove").click().run()
    assert "Removed 3 PTO day(s)" in texts(at)
    assert store.scalar("SELECT count(*) FROM pto") == 0


def test_a_range_without_working_days_is_refused_at_the_field(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = unlocked(tmp_path)
    at.date_input(key="pto_range").set_value((date(2026, 11, 21), date(2026, 11, 22))).run()
    at.button(key="pto_add").click().run()
    assert not at.exception
    assert "no working days" in at.error[0].value
    assert open_store(db).scalar("SELECT count(*) FROM pto") == 0
