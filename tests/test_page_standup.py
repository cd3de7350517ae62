"""Stand-up screen (AppTest): reached by /?view=standup, gaps first, slides rotate, flags unnamed."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.ui_apptest import APP, TIMEOUT, app, app_store_closed, seeded_db, texts  # noqa: F401

PAGE = "pages/standup.py"
AS_OF = "2026-11-18T14:00"


def test_view_standup_query_param_opens_the_stand_up_screen(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["view"] = "standup"
    at.query_params["as_of"] = AS_OF
    at.run()
    assert not at.exception
    assert "stand-up" in texts(at)
    assert "Team pace this week" in texts(at)


def test_gaps_slide_shows_team_pace_per_metric(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    assert [(m.label, m.value) for m in at.metric] == [
        ("Conversations", "105%"),
        ("Meetings", "95%"),
        ("Opportunities", "95%"),
        ("Proposals", "114%"),
    ]
    assert "3 of 5 reps below pace · 2 behind" in texts(at)


def test_before_the_week_starts_the_stand_up_shows_how_last_week_ended(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    monday_early = app(PAGE, tmp_path, as_of="2026-11-23T08:30").run()  # nothing expected yet this week
    assert not monday_early.exception
    body = texts(monday_early)
    assert "How last week ended" in body and "Week of Nov 16, 2026 · final" in body
    last_week = app(PAGE, tmp_path, as_of="2026-11-22T23:59:59").run()
    assert [m.value for m in monday_early.metric] == [m.value for m in last_week.metric]
    assert all(m.value != "–" for m in monday_early.metric)


def test_pinned_slides_shout_outs_and_conversations(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF, slide="conversations").run()
    body = texts(at)
    assert "Conversations to have this week" in body
    # On the shared screen flags are counted, never named.
    assert "Chloe Park" not in body and "Emma Stone" not in body
    assert ("Conversations", "2 reps") in [(m.label, m.value) for m in at.metric]
    assert "below goal 2+ weeks running" in body
    at.query_params["slide"] = "shout-outs"
    at.run()
    assert "Shout-outs" in texts(at)


def test_slides_rotate_on_the_timer(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert at.session_state["standup_slide"] == 0
    at.session_state["standup_switched_at"] = at.session_state["standup_switched_at"] - 20
    at.run()
    assert at.session_state["standup_slide"] == 1
    assert "Shout-outs" in texts(at)
    at.run()  # a rerun for new data keeps the slide
    assert at.session_state["standup_slide"] == 1


def test_contest_standings_slide_and_the_reps_own_standing(tmp_path: Path) -> None:
    import os
    from datetime import timedelta

    from scorecard.contests import launch_contest, suggest_contests
    from scorecard.store import Store
    from tests.factories_contests import ON_PACE, WED_CLOSE, no_holidays, spread, team

    store = Store(os.environ["SCORECARD_DB"])
    no_holidays(store)
    for rep in team(store, ["Ana", "Ben", "Cy"]).values():
        spread(store, rep, {**ON_PACE, "meetings": 1})  # the whole team behind on meetings
    [suggestion] = suggest_contests(store, WED_CLOSE)
    launch_contest(store, suggestion, WED_CLOSE)
    store.close()
    thursday = (WED_CLOSE + timedelta(hours=19)).isoformat()

    at = app(PAGE, tmp_path, as_of=thursday, slide="contests").run()
    assert not at.exception
    assert "Contest standings" in texts(at)
    bars = [p.proto.text for p in at.get("progress")]
    assert len(bars) == 3 and all("of target" in t for t in bars)

    at = app("pages/scorecard.py", tmp_path, rep="ana", as_of=thursday).run()
    assert not at.exception
    assert "Your contests" in texts(at)
    assert at.get("progress")
