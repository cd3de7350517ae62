"""My scorecard page (AppTest): the rep link, the picker, an unknown slug, a past week."""

from __future__ import annotations

from pathlib import Path

from tests.ui_apptest import app, app_store_closed, seeded_db, texts  # noqa: F401

PAGE = "pages/scorecard.py"
AS_OF = "2026-11-18T14:00"


def test_rep_link_shows_name_one_thing_and_lead_cards_first(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, rep="ana-lopez", as_of=AS_OF).run()
    assert not at.exception
    assert at.title[0].value == "Ana Lopez"
    body = texts(at)
    assert "THE ONE THING THIS WEEK" in body
    assert "6 of 8 conversations · 143% of pace" in body
    labels = [m.label for m in at.metric]
    # Lead measures come before the results (the doctrine), in catalog order.
    assert labels.index("Conversations") < labels.index("Meetings") < labels.index("Deals won")
    assert labels.index("Proposals") < labels.index("Revenue won")
    assert "?rep=ana-lopez" in at.code[0].value


def test_without_rep_a_picker_sets_the_query_param(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path).run()
    assert not at.exception
    picker = at.selectbox(key="rep_pick")
    assert picker.options == ["Ana Lopez", "Ben Carter", "Chloe Park", "Dev Patel", "Emma Stone"]
    picker.select("chloe-park").run()
    assert at.query_params["rep"] == "chloe-park"
    assert at.title[0].value == "Chloe Park"


def test_unknown_slug_is_a_clear_message_with_the_picker(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, rep="no-such-rep", as_of=AS_OF).run()
    assert not at.exception
    assert "no-such-rep" in at.error[0].value.replace("\\", "")
    assert at.selectbox(key="rep_pick") is not None


def test_past_week_replays_that_week(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, rep="ana-lopez", as_of=AS_OF).run()
    week = at.selectbox(key="week_pick")
    assert week.value == "2026-11-22"  # the week of as_of is the one shown
    week.select("2026-11-15").run()
    assert at.query_params["as_of"] == "2026-11-15"
    assert not at.exception
    assert "Week of Nov 9, 2026" in texts(at)
    assert "past moment" in texts(at)


def test_no_reps_yet_points_to_the_upload_page(tmp_path: Path) -> None:
    at = app(PAGE, tmp_path).run()
    assert not at.exception
    assert "Upload" in texts(at)


def test_rep_on_pto_all_week_is_never_behind(tmp_path: Path) -> None:
    from datetime import date, timedelta

    from scorecard.goals import add_pto
    from scorecard.store import Store

    db = seeded_db(tmp_path)
    store = Store(db)
    ids = {slug: int(rep_id) for rep_id, slug in store.fetchall("SELECT rep_id, slug FROM reps")}
    add_pto(store, ids["chloe-park"], [date(2026, 11, 16) + timedelta(days=i) for i in range(5)])
    store.close()
    at = app(PAGE, tmp_path, rep="chloe-park", as_of=AS_OF).run()
    assert not at.exception
    body = texts(at)
    assert "off this week" in body
    assert "Behind" not in body
