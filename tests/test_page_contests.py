"""Contests page (AppTest): suggestions and launching need the manager passcode; standings, cancel, history."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard.contests import RepTarget, Suggestion, launch_contest
from scorecard.store import Store, open_store
from tests.factories import add_activity
from tests.factories_contests import MONDAY, ON_PACE, day, no_holidays, spread, team
from tests.ui_apptest import app, texts

PAGE = "pages/contests.py"
AS_OF = "2026-10-21T17:00"


def _seed(*, finished_contest: bool = False) -> Path:
    path = Path(os.environ["SCORECARD_DB"])
    with Store(path) as store:
        no_holidays(store)
        reps = team(store, ["Ana", "Ben", "Cy"])
        for rep in reps.values():
            spread(store, rep, {**ON_PACE, "meetings": 1})
        if finished_contest:
            for back in range(2, 6):
                add_activity(store, reps["Ana"], [(day(1, 11, MONDAY - timedelta(weeks=back)), "proposals")])
            add_activity(store, reps["Ana"], [(day(1, 11, MONDAY - timedelta(weeks=1)), "proposals")] * 3)
            last_week = MONDAY - timedelta(weeks=1)
            launch_contest(
                store,
                Suggestion(
                    metric="proposals",
                    label="Proposals",
                    format="threshold",
                    start=last_week,
                    end=last_week + timedelta(days=4),
                    target=2,
                    rep_targets=(RepTarget(reps["Ana"], "ana", "Ana", 1, 1, 0.5),),
                    divisions=(),
                    budget=50,
                    prize=50,
                    expected_gross_profit=0,
                    value_per_unit=0,
                    arithmetic=(),
                    rationale="r",
                    announcement="a",
                    why_format="w",
                    unit="proposals",
                    unit_one="proposal",
                ),
                datetime(2026, 10, 11, 9),
            )
    return path


def _unlock(at: AppTest, code: str) -> AppTest:
    at.text_input(key="manager_gate_page_input").input(code)
    next(b for b in at.button if b.label == "Unlock").click().run()
    return at


def _launch_buttons(at: AppTest) -> list[object]:
    return [b for b in at.button if b.label == "Launch"]


def test_suggestions_and_launch_need_the_passcode(tmp_path: Path) -> None:
    db = _seed()
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    assert "for managers" in texts(at)
    assert not _launch_buttons(at) and not at.code  # no suggestion, no launch, without the passcode
    assert "No contest is running" in texts(at)

    _unlock(at, "wrong")
    assert "not right" in texts(at) and not _launch_buttons(at)

    _unlock(at, "test-passcode")
    assert not at.exception
    assert len(_launch_buttons(at)) == 1
    page = texts(at)
    assert "Meetings" in page and "Open threshold" in page
    assert any("Everyone who reaches" in c.value for c in at.code)  # the announcement, ready to copy

    at.number_input(key="budget_meetings").set_value(75.0)
    next(b for b in at.button if b.label == "Launch").click().run()
    assert not at.exception
    assert "Launched contest #1" in texts(at)
    store = open_store(db)
    assert store.fetchone("SELECT metric, budget, status FROM contests") == ("meetings", 75.0, "running")
    assert store.scalar("SELECT count(*) FROM contest_participants") == 3
    # Launched: no longer suggested; shown under running (it starts Thursday) with standings.
    assert not _launch_buttons(at)
    assert "#1 Meetings" in texts(at)
    assert at.dataframe


def test_cancel_is_for_managers(tmp_path: Path) -> None:
    db = _seed()
    at = app(PAGE, tmp_path, as_of="2026-10-22T12:00").run()
    store = open_store(db)
    at.session_state["manager_unlocked"] = True
    at.run()
    next(b for b in at.button if b.label == "Launch").click().run()
    assert store.scalar("SELECT count(*) FROM contests WHERE status = 'running'") == 1

    locked = app(PAGE, tmp_path, as_of="2026-10-22T12:00").run()
    assert not [b for b in locked.button if b.label == "Yes, cancel it"]
    assert "#1 Meetings" in texts(locked)  # standings are public

    next(b for b in at.button if b.label == "Yes, cancel it").click().run()
    assert not at.exception
    assert store.scalar("SELECT status FROM contests") == "cancelled"
    assert "No contest is running" in texts(at)


def test_results_and_history(tmp_path: Path) -> None:
    _seed(finished_contest=True)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    headers = [h.value for h in at.header]
    assert "Results and payouts" in headers and "History" in headers
    frames = [d.value for d in at.dataframe]
    payouts = next(f for f in frames if "Amount" in f.columns)
    assert payouts["Rep"].to_list() == ["Ana"] and payouts["Amount"].to_list() == [50.0]
    assert any("Lift %" in f.columns for f in frames)
    history = next(f for f in frames if "Lift %" in f.columns)
    assert [d.date() for d in history["Start"].to_list()] == [date(2026, 10, 12)]
    assert history["Lift %"].to_list() == [pytest.approx(200.0)]  # 3 proposals against 1 a week before
