"""Coaching page (AppTest): locked without the passcode; managers, sessions, the leader's goals, does coaching work."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard import coaching
from scorecard.store import Store, open_store
from tests.factories_coaching import WEEK_END, coached_team
from tests.ui_apptest import app, app_store_closed, seeded_db, texts  # noqa: F401

PAGE = "pages/coaching.py"
AS_OF = "2026-11-18T14:00"


def unlocked(tmp_path: Path, **query: str) -> AppTest:
    at = app(PAGE, tmp_path, **query)
    at.session_state["manager_unlocked"] = True
    return at.run()


def _click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def test_locked_without_the_passcode(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    body = texts(at)
    assert "for managers" in body and "Does coaching work?" not in body
    assert not at.subheader and not at.selectbox and not at.multiselect and not at.dataframe
    assert [b.label for b in at.button] == ["Unlock"]


def test_add_a_manager_assign_reps_log_a_session_and_set_goals(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = unlocked(tmp_path, as_of=AS_OF)
    assert not at.exception
    assert "Choose who manages whom first." in texts(at)
    at.text_input(key="new_mgr_name").input("Maria Boss")
    at.text_input(key="new_mgr_email").input("maria@example.com")
    _click(at, "Add")
    assert "Added Maria Boss" in texts(at)
    store = open_store(db)
    maria = store.scalar("SELECT rep_id FROM reps WHERE slug = 'maria-boss'")
    east = [r for (r,) in store.fetchall("SELECT rep_id FROM reps WHERE team = 'East' ORDER BY rep_id")]
    at.multiselect(key="mgr_reps").set_value(east)
    at.selectbox(key="mgr_boss").set_value(maria)
    _click(at, "Save")
    assert "Saved the manager of 3 rep(s)." in texts(at)
    assert coaching.managers(store) == dict.fromkeys(east, maria)
    assert at.dataframe[0].value["Manager"].tolist().count("Maria Boss (does not sell)") == 3
    # A coaching session with one of her reps, on her scorecard.
    at.radio(key="s_kind").set_value("coaching")
    at.selectbox(key="s_rep").set_value(east[0])
    _click(at, "Log it")
    assert "Logged: coaching session." in texts(at)
    [held] = coaching.sessions(store, date(2026, 11, 18), date(2026, 11, 18))
    assert (held.kind, held.leader_id, held.rep_id) == ("coaching", maria, east[0])
    # Her own weekly goals, from this week on.
    at.number_input(key=f"g_{maria}_joint_calls").set_value(5.0)
    _click(at, "Save goals")
    assert "Goals saved." in texts(at)
    assert coaching.leader_goal_rows(store, maria) == [("joint_calls", 5.0, date(2026, 11, 16))]  # only what changed


def test_does_coaching_work_shows_each_case_and_says_when_too_few(tmp_path: Path) -> None:
    store = Store(os.environ["SCORECARD_DB"])
    coached_team(store, ("Chloe",))
    store.close()
    at = unlocked(tmp_path, as_of=WEEK_END.isoformat())
    assert not at.exception
    assert "Too few cases to conclude anything: 1 coached flag" in texts(at)
    cases = at.dataframe[-1].value
    assert cases["Rep"].tolist() == ["Chloe"]
    assert cases["Before"].tolist() == ["50% (16 of 32.0 over 4 weeks)"]
    assert cases["Beyond the team (points)"].tolist() == [50]


def test_a_manager_who_does_not_sell_can_be_given_pto(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    store = open_store(db)
    maria = coaching.add_manager(store, "Maria Boss")
    coaching.set_manager(store, [store.scalar("SELECT rep_id FROM reps WHERE slug = 'ana-lopez'")], maria)
    at = app("pages/manage_pto.py", tmp_path, as_of=AS_OF)
    at.session_state["manager_unlocked"] = True
    at.run()
    picker = at.selectbox(key="pto_rep")
    assert picker.options[-1] == "Maria Boss (manager)"
    picker.set_value(maria)
    at.date_input(key="pto_range").set_value((date(2026, 11, 23), date(2026, 11, 24))).run()
    at.button(key="pto_add").click().run()
    assert not at.exception
    assert store.scalar("SELECT count(*) FROM pto WHERE rep_id = ?", [maria]) == 2
