"""Goals page (AppTest): locked without the passcode, edit a goal, accept derived goals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard.goals import QuotaChange, set_quotas
from scorecard.store import open_store
from tests.ui_apptest import app, seeded_db, texts

PAGE = "pages/manage_goals.py"
AS_OF = "2026-11-18T14:00"
WEEK = date(2026, 11, 16)


def unlocked(tmp_path: Path) -> AppTest:
    at = app(PAGE, tmp_path, as_of=AS_OF)
    at.session_state["manager_unlocked"] = True
    return at.run()


def test_locked_without_the_passcode(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    assert "for managers" in texts(at)
    assert not at.date_input and not at.tabs  # nothing editable
    assert [b.label for b in at.button] == ["Unlock"]


def test_effective_date_defaults_to_the_start_of_the_week_and_a_goal_edit_saves(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = unlocked(tmp_path)
    assert not at.exception
    assert at.date_input(key="effective_from").value == WEEK
    store = open_store(db)
    ana = store.scalar("SELECT rep_id FROM reps WHERE slug = 'ana-lopez'")
    # Edit one cell the way the grid widget reports it: {row: {column: value}}.
    at.session_state["goal_grid"] = {"edited_rows": {0: {"meetings": 6}}, "added_rows": [], "deleted_rows": []}
    at.button(key="save_goals").click().run()
    assert not at.exception
    assert "1 goal(s) changed" in texts(at)
    assert store.fetchall("SELECT rep_id, metric, weekly_goal, effective_from, source FROM goals") == [
        (ana, "meetings", 6.0, WEEK, "manual")
    ]


def test_accept_all_derived_goals(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    store = open_store(db)
    reps = dict(store.fetchall("SELECT slug, rep_id FROM reps"))
    set_quotas(store, [QuotaChange(rep_id, 40_000, "month", date(2026, 1, 1)) for rep_id in reps.values()])
    at = unlocked(tmp_path)
    assert not at.exception
    body = texts(at)
    assert "Pipeline coverage needed" in body
    accept = next(b for b in at.button if b.label.startswith("Accept all derived goals"))
    assert not accept.disabled
    accept.click().run()
    assert not at.exception
    assert "Accepted" in texts(at)
    rows = store.fetchall("SELECT DISTINCT rep_id, source, effective_from FROM goals")
    assert {r[0] for r in rows} == set(reps.values())
    assert {(r[1], r[2]) for r in rows} == {("derived", WEEK)}
