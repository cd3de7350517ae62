"""Team gaps, red flags, tiers, leaderboard and shout-outs on hand-built weeks.

Only the meetings goal (4 a week) is switched on, so every number below is
about meetings. Wednesday 2026-10-21 13:00 is half-way through a week without
holidays: each rep is expected to have 2 meetings. The week of 2026-10-12 has
Columbus Day, so its goal is 4 × 32/40 = 3.2.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scorecard.catalog import load_catalog
from scorecard.goals import GoalChange, add_pto, set_goals
from scorecard.scores import TeamMetric, team_view, team_view_to_json
from scorecard.store import Store
from tests.factories import add_counts, add_rep
from tests.factories_scores import only_goal, week_counts

AS_OF = datetime(2026, 10, 21, 13)
NOW = datetime(2026, 10, 20, 10)
W_SEP21, W_SEP28, W_OCT5, W_OCT12 = date(2026, 9, 21), date(2026, 9, 28), date(2026, 10, 5), date(2026, 10, 12)


def reps(store: Store, *names: str) -> list[int]:
    ids = [add_rep(store, name) for name in names]
    only_goal(store, ids, "meetings", 4)
    return ids


def meetings(view_metrics: list[TeamMetric]) -> TeamMetric:
    return next(m for m in view_metrics if m.metric == "meetings")


def test_one_rep_far_behind_is_a_flag_not_a_team_gap(store: Store) -> None:
    ana, bo, cy, di = reps(store, "Ana Lopez", "Bo Chen", "Cy Diaz", "Di Evans")
    for rep_id in (bo, cy, di):
        for monday in (W_SEP28, W_OCT5, W_OCT12):
            week_counts(store, rep_id, monday, {"meetings": 4})
        add_counts(store, rep_id, NOW, {"meetings": 3})
    week_counts(store, ana, W_SEP28, {"meetings": 4})  # Ana's history starts on goal…
    week_counts(store, ana, W_OCT5, {"meetings": 1})  # …then misses Oct 5 and Oct 12
    # After one completed missed week: no flag yet.
    early = team_view(store, datetime(2026, 10, 14, 13))
    assert early.flags == []
    view = team_view(store, AS_OF)
    m = meetings(view.metrics)
    assert (m.team_actual, m.team_expected, m.reps_with_goal, m.reps_behind) == (9, 8, 4, 1)
    assert m.team_pace == pytest.approx(9 / 8)
    assert m.is_team_gap is False
    assert [(f.rep.slug, f.metric, f.weeks_missed) for f in view.flags] == [("ana-lopez", "meetings", 2)]
    assert len(view.flags[0].questions) == 4 and view.flags[0].questions[-1] == "Is the goal right?"
    assert [metric.metric for metric in view.metrics] == ["meetings"]


def test_everyone_behind_is_a_team_gap(store: Store) -> None:
    for rep_id in reps(store, "Ana Lopez", "Bo Chen", "Cy Diaz"):
        add_counts(store, rep_id, NOW, {"meetings": 1})
    m = meetings(team_view(store, AS_OF).metrics)
    assert m.team_pace == pytest.approx(0.5)
    assert (m.reps_behind, m.reps_with_goal, m.is_team_gap) == (3, 3, True)
    assert m.status == "behind"
    assert (m.reps_below_pace, m.reps_expected) == (3, 3)


def test_team_gap_counts_at_risk_reps_as_below_pace(store: Store) -> None:
    ids = reps(store, "Ana Lopez", "Bo Chen", "Cy Diaz")
    # Expected 2 each by now: 1.7 would be at risk, so use whole meetings: 1 (behind), 1, and 2 (on pace).
    add_counts(store, ids[0], NOW, {"meetings": 1})
    add_counts(store, ids[1], NOW, {"meetings": 1})
    add_counts(store, ids[2], NOW, {"meetings": 2})
    m = meetings(team_view(store, AS_OF).metrics)
    assert (m.reps_below_pace, m.reps_expected, m.reps_behind) == (2, 3, 2)
    assert m.team_pace == pytest.approx(4 / 6)
    assert m.is_team_gap is True  # pace 67% < 90% and 2 of 3 below pace


def test_team_gap_needs_most_reps_below_pace(store: Store) -> None:
    ana, bo, cy = reps(store, "Ana Lopez", "Bo Chen", "Cy Diaz")
    add_counts(store, ana, NOW, {"meetings": 1})  # pace 0.5
    add_counts(store, bo, NOW, {"meetings": 1})  # pace 0.5
    add_counts(store, cy, NOW, {"meetings": 3})  # pace 1.5
    # team pace 5/6 < 0.9 and 2 of 3 below pace (exactly two-thirds) -> gap
    assert meetings(team_view(store, AS_OF).metrics).is_team_gap is True


def test_rep_on_pto_all_week_is_not_counted_behind(store: Store) -> None:
    ana, bo, cy = reps(store, "Ana Lopez", "Bo Chen", "Cy Diaz")
    add_pto(store, ana, [date(2026, 10, 19 + i) for i in range(5)])
    add_counts(store, bo, NOW, {"meetings": 3})
    add_counts(store, cy, NOW, {"calls": 1})  # a call, no meeting
    view = team_view(store, AS_OF)
    m = meetings(view.metrics)
    # Bo 3 of 2 expected, Cy 0 of 2, Ana expected nothing: pace 3/4 < 0.9 but only 1 of 2 below -> no gap.
    assert m.team_expected == pytest.approx(4)
    assert (m.reps_behind, m.is_team_gap) == (1, False)
    ana_row = view.heatmap.filter(view.heatmap["slug"] == "ana-lopez").row(0, named=True)
    assert (ana_row["pace"], ana_row["status"], ana_row["expected"]) == (None, None, 0)


def test_pto_week_breaks_no_run_of_misses(store: Store) -> None:
    (ana,) = reps(store, "Ana Lopez")
    week_counts(store, ana, W_SEP21, {"meetings": 4})
    week_counts(store, ana, W_SEP28, {"meetings": 1})  # missed
    add_pto(store, ana, [date(2026, 10, 5 + i) for i in range(5)])  # Oct 5 week off
    week_counts(store, ana, W_OCT12, {"meetings": 3})  # missed (3 < 3.2)
    view = team_view(store, AS_OF)
    assert [(f.rep.slug, f.weeks_missed) for f in view.flags] == [("ana-lopez", 2)]


def test_tiers_leaderboard_and_shout_outs(store: Store) -> None:
    xia, yan, zoe = reps(store, "Xia Wu", "Yan Li", "Zoe Park")
    hits = {xia: {W_SEP21, W_SEP28, W_OCT5, W_OCT12}, yan: {W_SEP21, W_SEP28}, zoe: {W_SEP21}}
    for rep_id, weeks in hits.items():
        for monday in (W_SEP21, W_SEP28, W_OCT5, W_OCT12):
            week_counts(store, rep_id, monday, {"meetings": 4 if monday in weeks else 0})
    add_counts(store, xia, NOW, {"meetings": 3})  # pace 1.5
    add_counts(store, yan, NOW, {"meetings": 2})  # pace 1.0
    add_counts(store, zoe, NOW, {"meetings": 1})  # pace 0.5
    view = team_view(store, AS_OF)
    assert {tier: [r.slug for r in members] for tier, members in view.tiers.items()} == {
        "autopilot": ["xia-wu"],  # 4 of 4
        "watch": ["yan-li"],  # 2 of 4
        "coach": ["zoe-park"],  # 1 of 4
    }
    assert view.leaderboard["slug"].to_list() == ["xia-wu", "yan-li", "zoe-park"]
    # Xia's 150% counts as 125%: the leaderboard caps each metric (LEADERBOARD_PACE_CAP).
    assert view.leaderboard["pct_of_goal"].to_list() == pytest.approx([1.25, 1.0, 0.5])
    assert [r.slug for r in view.shout_outs] == ["xia-wu", "yan-li"]
    trend = {row["week_start"]: row["team_pace"] for row in view.trend.iter_rows(named=True)}
    assert trend[W_SEP21] == pytest.approx(1.0)
    assert trend[W_OCT12] == pytest.approx(4 / 9.6)  # 4 meetings of 3 × 3.2


def test_team_filter_and_teams_list(store: Store) -> None:
    ana, bo = reps(store, "Ana Lopez", "Bo Chen")
    east = add_rep(store, "Eve East", team="East")
    only_goal(store, [east], "meetings", 4)
    add_counts(store, east, NOW, {"meetings": 2})
    view = team_view(store, AS_OF, team="East")
    assert view.teams == ["East", "Sales"]
    m = meetings(view.metrics)
    assert (m.reps_with_goal, m.team_actual) == (1, 2)
    assert meetings(team_view(store, AS_OF).metrics).reps_with_goal == 3


def test_team_view_json_shape(store: Store) -> None:
    reps(store, "Ana Lopez")
    data = team_view_to_json(team_view(store, AS_OF))
    assert data["as_of"] == "2026-10-21T13:00:00"
    assert data["period"] == {"kind": "week", "start": "2026-10-19", "end": "2026-10-25"}
    assert set(data["metrics"][0]) >= {
        "metric",
        "team_actual",
        "team_expected",
        "team_pace",
        "reps_with_goal",
        "reps_behind",
        "is_team_gap",
    }
    assert data["flags"] == []


def test_team_view_sees_new_data_at_once(store: Store) -> None:
    ana, bo = reps(store, "Ana Lopez", "Bo Chen")
    for rep_id in (ana, bo):
        week_counts(store, rep_id, W_OCT5, {"meetings": 4})
    assert team_view(store, AS_OF).flags == []
    assert meetings(team_view(store, AS_OF).metrics).team_actual == 0
    add_counts(store, ana, datetime(2026, 10, 21, 12), {"meetings": 2})
    add_pto(store, bo, [date(2026, 10, 12 + i) for i in range(5)])
    view = team_view(store, AS_OF)
    assert meetings(view.metrics).team_actual == 2
    assert meetings(view.metrics).reps_with_goal == 2


def test_team_view_of_an_empty_team(store: Store) -> None:
    reps(store, "Ana Lopez")
    view = team_view(store, AS_OF, team="Nobody")
    assert (view.metrics, view.flags, view.shout_outs) == ([], [], [])
    assert view.heatmap.is_empty() and view.leaderboard.is_empty()
    assert view.tiers == {"autopilot": [], "watch": [], "coach": []}


def test_leaderboard_over_delivery_cannot_hide_a_miss(store: Store) -> None:
    steady, spiky = add_rep(store, "Steady Sam"), add_rep(store, "Spiky Sue")
    only_goal(store, [steady, spiky], "meetings", 4)
    catalog = load_catalog(store)
    set_goals(store, catalog, [GoalChange(r, "proposals", 2, date(2020, 1, 6)) for r in (steady, spiky)])
    add_counts(store, steady, NOW, {"meetings": 2, "proposals": 1})  # 100% and 100% of pace
    add_counts(store, spiky, NOW, {"meetings": 1, "proposals": 4})  # 50% and 400% of pace
    view = team_view(store, AS_OF)
    assert view.leaderboard["slug"].to_list() == ["steady-sam", "spiky-sue"]
    assert view.leaderboard["pct_of_goal"].to_list() == pytest.approx([1.0, (0.5 + 1.25) / 2])
