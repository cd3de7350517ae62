"""Team page (AppTest): totals, heatmap, flags as conversations, tiers, leaderboard, team selector."""

from __future__ import annotations

from pathlib import Path

from tests.ui_apptest import app, app_store_closed, seeded_db, texts  # noqa: F401

PAGE = "pages/team.py"
AS_OF = "2026-11-18T14:00"


def test_team_page_all_teams(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    body = texts(at)
    assert [m.label.split(" · ")[0] for m in at.metric][:4] == ["Conversations", "Meetings", "Opportunities", "Proposals"]
    assert at.metric[0].label == "Conversations · % of pace"
    assert at.metric[0].value == "105%"
    assert "3 of 5 reps below pace · 2 behind" in body
    # Flags are framed as conversations with the manager's questions.
    assert "Conversations to have" in body
    assert "Chloe Park" in body and "Is the goal right?" in body
    assert body.count("Is the goal right?") == 1  # asked once, not once per flag
    assert "Conversations (6 weeks)" in body
    assert "On autopilot" in body and "Coach hands-on" in body
    board = at.dataframe[0].value
    assert list(board.columns) == ["Rep", "% of personal goal"]
    pct = board["% of personal goal"].tolist()
    assert pct == sorted(pct, reverse=True)  # by % of each rep's own goal
    assert len(pct) == 5


def test_team_selector_narrows_to_one_team(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    picker = at.selectbox(key="team_pick")
    assert picker.options == ["All teams", "East", "West"]
    picker.select("West").run()
    assert not at.exception
    assert at.query_params["team"] == "West"
    body = texts(at)
    assert "of 2 reps below pace" in body
    assert "Chloe Park" not in body


def test_team_page_empty_database(tmp_path: Path) -> None:
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception


def test_whole_team_behind_is_a_team_gap_calling_for_a_rally(tmp_path: Path) -> None:
    import os

    from scorecard.store import Store
    from tests.factories_contests import ON_PACE, WED_CLOSE, no_holidays, spread, team

    store = Store(os.environ["SCORECARD_DB"])
    no_holidays(store)
    for rep in team(store, ["Ana", "Ben", "Cy"]).values():
        spread(store, rep, {**ON_PACE, "meetings": 1})
    store.close()
    at = app(PAGE, tmp_path, as_of=WED_CLOSE.isoformat()).run()
    assert not at.exception
    assert "Team gap on Meetings" in at.warning[0].value
    assert "rally" in at.warning[0].value
    meetings = next(m for m in at.metric if m.label.startswith("Meetings"))
    assert meetings.value == "42%"  # 3 done of 7.2 expected by Wednesday's close
