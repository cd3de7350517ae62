"""Team page coaching sections (AppTest): peer pairs with their evidence, sessions held, the leader's scorecard."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard import coaching
from scorecard.store import Store, open_store
from tests.factories_coaching import peer_team
from tests.ui_apptest import app, app_store_closed, seeded_db, texts  # noqa: F401

PAGE = "pages/team.py"
AS_OF = "2026-10-21T12:00"


def _peer_db() -> dict[str, int]:
    store = Store(os.environ["SCORECARD_DB"])
    try:
        return peer_team(store)
    finally:
        store.close()


def _held_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.label == "Session held"]


def test_pairs_show_their_evidence_and_a_manager_logs_a_session(tmp_path: Path) -> None:
    _peer_db()
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    body = texts(at)
    assert "Conversation → meeting: Dev coaches Chloe" in body
    assert "Conversation → meeting: Ana coaches Emma" in body
    assert "26 of 130 conversations → meetings) for Chloe" in body
    assert _held_buttons(at) == []  # logging is for managers
    at.session_state["manager_unlocked"] = True
    at.run()
    buttons = _held_buttons(at)
    assert len(buttons) == 2
    next(b for b in at.button if b.key == buttons[0]).click().run()
    assert not at.exception
    assert len(_held_buttons(at)) == 1
    assert "Session held this week" in texts(at)
    held = coaching.sessions(open_store(os.environ["SCORECARD_DB"]), date(2026, 10, 19), date(2026, 10, 21))
    assert [(s.kind, s.ratio) for s in held] == [("peer", "conversation_to_meeting")]
    culture = next(m for m in at.metric if m.label == "Peer sessions, the last 4 weeks")
    assert culture.value == "1"
    assert "2 of 7 reps took part" in texts(at)


def test_the_leaders_scorecard_on_the_team_page(tmp_path: Path) -> None:
    reps = _peer_db()
    store = Store(os.environ["SCORECARD_DB"])
    try:
        coaching.set_manager(store, [reps[n] for n in ("Ben", "Chloe", "Dev")], reps["Ana"])
        coaching.log_session(store, "joint_meeting", date(2026, 10, 20), leader_id=reps["Ana"], rep_id=reps["Chloe"])
        coaching.record_one_on_one(store, reps["Chloe"], date(2026, 10, 19), "private")
    finally:
        store.close()
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    body = texts(at)
    assert "Lead from the front" in body
    assert "**Ana** · 3 reps" in [m.value for m in at.markdown]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Joint customer meetings"] == "1" and tiles["1:1s held"] == "1"
    # A 1:1 a week per report; by Wednesday noon 19 of 40 working hours are gone: 1 of 1.425 expected.
    assert "1 of 3 1:1s · 70% of pace" in body
    assert "private" not in body  # 1:1 notes never leave the coaching log


def test_no_managers_no_leader_section(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of="2026-11-18T14:00").run()
    assert not at.exception
    assert "Lead from the front" not in texts(at)
    assert "Peer coaching" in texts(at) and "No pairs this week" in texts(at)
