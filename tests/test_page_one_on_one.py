"""1:1 prep page (AppTest): locked without the passcode; one printable page per rep; logging a 1:1."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard import coaching
from scorecard.store import Store, open_store
from tests.factories_coaching import peer_team
from tests.ui_apptest import app, app_store_closed, seeded_db, texts  # noqa: F401

PAGE = "pages/one_on_one.py"
AS_OF = "2026-11-18T14:00"


def unlocked(tmp_path: Path, **query: str) -> AppTest:
    at = app(PAGE, tmp_path, **query)
    at.session_state["manager_unlocked"] = True
    return at.run()


def test_locked_without_the_passcode(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF, rep="chloe-park").run()
    assert not at.exception
    body = texts(at)
    assert "for managers" in body
    assert "Chloe Park" not in body and "Open flags" not in body
    assert not at.selectbox and not at.table and not at.text_area
    assert [b.label for b in at.button] == ["Unlock"]


def test_the_prep_page_of_a_flagged_rep(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = unlocked(tmp_path, as_of=AS_OF, rep="chloe-park")
    assert not at.exception
    body = texts(at)
    assert "Chloe Park · East" in body
    assert "To print: Ctrl+P" in body
    # Open flags with the four questions, the tier and the one thing.
    assert "Conversations: below goal 6 weeks running" in body
    for question in ("Why is it happening?", "What should the rep do differently?", "What should we do differently?", "Is the goal right?"):
        assert question in body
    assert "Coach hands-on" in body
    assert "The one thing this week" in body
    # Lead measures week by week against goal: the 6 completed weeks of data and this week so far.
    lead = at.table[0].value
    assert list(lead.columns)[0] == "Measure" and list(lead.columns)[-1] == "Nov 16 so far"
    assert lead["Measure"].tolist() == ["Conversations", "Meetings", "Opportunities", "Proposals"]
    assert len(lead.columns) == 13  # the measure and 12 weeks
    # Weeks before her first activity are not misses; Veterans Day week carries less goal.
    assert lead.loc[0, "Aug 31"] == "–" and lead.loc[0, "Nov 9"] == "4 / 6.4"
    assert lead.loc[3, "Nov 2"] == "1 / 1 ✓"
    # Ratios against the rest of the team, each with its counts.
    assert "Not enough data for a claim: 25 conversations for Chloe Park and 105 for the rest of the team" in body
    assert at.selectbox(key="prep_rep").value == "chloe-park"


def test_marked_only_where_the_difference_is_significant(tmp_path: Path) -> None:
    store = Store(os.environ["SCORECARD_DB"])
    peer_team(store)
    store.close()
    chloe = texts(unlocked(tmp_path, as_of="2026-10-21T12:00", rep="chloe"))
    assert "Conversation → meeting: :material/priority_high: **Significantly below the team**" in chloe
    assert "Try: Role-play the ask for the meeting" in chloe
    finn = texts(unlocked(tmp_path, as_of="2026-10-21T12:00", rep="finn"))
    assert "Conversation → meeting: no meaningful difference" in finn
    assert "Significantly" not in finn and "p = 0.15" in finn
    assert "Meeting → opportunity: not enough data to compare" in finn


def test_log_a_one_on_one_with_notes_flags_and_a_commitment(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = unlocked(tmp_path, as_of=AS_OF, rep="chloe-park")
    assert at.multiselect(key="addressed").value == ["conversations", "meetings", "opportunities"]  # her open flags
    at.multiselect(key="addressed").unselect("meetings").unselect("opportunities")
    at.text_area(key="notes").input("Pipeline is thin; blocks her mornings for calls")
    at.selectbox(key="c_metric_0").select("conversations")
    at.number_input(key="c_target_0").set_value(8.0)
    next(b for b in at.button if b.label == "Save the 1:1").click().run()
    assert not at.exception
    assert "1:1 saved with 1 commitment(s)." in texts(at)
    store = open_store(db)
    rep_id = store.scalar("SELECT rep_id FROM reps WHERE slug = 'chloe-park'")
    [meeting] = coaching.one_on_ones(store, date(2026, 11, 18), rep_id)
    assert (meeting.held_on, meeting.addressed) == (date(2026, 11, 18), ("conversations",))
    [made] = coaching.commitments(store, rep_id, date(2026, 11, 18))
    assert (made.metric, made.target, made.week_start) == ("conversations", 8.0, date(2026, 11, 23))
    body = texts(at)
    assert "Commitments from the last 1:1 (Wed Nov 18)" in body
    assert "Pipeline is thin; blocks her mornings for calls" in body
    assert "Not checkable yet" in body


def test_names_and_notes_are_shown_as_text(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    store = open_store(db)
    with store.write() as cur:
        cur.execute("UPDATE reps SET display_name = '*Chloe* [x](http://e.test)' WHERE slug = 'chloe-park'")
    rep_id = store.scalar("SELECT rep_id FROM reps WHERE slug = 'chloe-park'")
    coaching.record_one_on_one(store, rep_id, date(2026, 11, 16), "# not a heading <b>nor bold</b>")
    at = unlocked(tmp_path, as_of=AS_OF, rep="chloe-park")
    assert not at.exception
    assert at.subheader[0].value.startswith("\\*Chloe\\* \\[x\\]\\(http\\:")
    assert "# not a heading <b>nor bold</b>" in [t.value for t in at.text]


def test_a_rejected_1_1_keeps_what_was_typed(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = unlocked(tmp_path, as_of=AS_OF, rep="chloe-park")
    at.text_area(key="notes").input("Long notes I do not want to type again")
    at.selectbox(key="c_metric_0").select("meetings")
    at.number_input(key="c_target_0").set_value(0.0)
    next(b for b in at.button if b.label == "Save the 1:1").click().run()
    assert "Nothing was saved" in at.error[0].value
    assert at.text_area(key="notes").value == "Long notes I do not want to type again"
