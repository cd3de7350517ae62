"""Launch, standings, results, cancel and measured lift of contests."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import cast

import pytest

import scorecard.contests as contests
from scorecard.contests import (
    ContestError,
    Format,
    RepTarget,
    Suggestion,
    cancel_contest,
    contest_history,
    contest_results,
    contest_standings,
    edit_suggestion,
    get_contest,
    launch_contest,
    lifecycle,
    measure_lift,
    running_contests,
    standings_for_rep,
    suggest_contests,
)
from scorecard.settings import load_settings
from scorecard.store import Store
from tests.factories import add_activity
from tests.factories_contests import MONDAY, ON_PACE, WED_CLOSE, day, no_holidays, spread, team


def _suggestion(
    reps: dict[str, int],
    targets: dict[str, float],
    *,
    fmt: str = "threshold",
    start: date = date(2026, 10, 22),
    end: date = date(2026, 10, 23),
    budget: float = 150.0,
    prize: float = 50.0,
    divisions: dict[str, str] | None = None,
) -> Suggestion:
    return Suggestion(
        metric="meetings",
        label="Meetings",
        format=cast(Format, fmt),
        start=start,
        end=end,
        target=5.0,
        rep_targets=tuple(
            RepTarget(reps[n], n.lower(), n, t, 1.0, 0.5, (divisions or {}).get(n)) for n, t in targets.items()
        ),
        divisions=tuple(sorted(set((divisions or {}).values()))),
        budget=budget,
        prize=prize,
        expected_gross_profit=700.0,
        value_per_unit=200.0,
        arithmetic=("a",),
        rationale="why",
        announcement="go",
        why_format="because",
        unit="meetings",
        unit_one="meeting",
    )


@pytest.fixture
def behind(store: Store) -> dict[str, int]:
    no_holidays(store)
    reps = team(store, ["Ana", "Ben", "Cy"])
    for rep in reps.values():
        spread(store, rep, {**ON_PACE, "meetings": 1})
    return reps


def test_launch_stores_the_contest_with_fixed_rules(store: Store, behind: dict[str, int]) -> None:
    [s] = suggest_contests(store, WED_CLOSE)
    contest_id = launch_contest(store, s, WED_CLOSE)

    contest = get_contest(store, contest_id)
    assert (contest.metric, contest.format, contest.start, contest.end) == ("meetings", s.format, s.start, s.end)
    assert contest.budget == s.budget and contest.announcement == s.announcement
    rules = json.loads(store.scalar("SELECT rules FROM contests WHERE contest_id = ?", [contest_id]))
    assert rules["targets"] == {str(r.rep_id): r.target for r in s.rep_targets}
    assert store.scalar("SELECT count(*) FROM contest_participants WHERE contest_id = ?", [contest_id]) == 3
    # Rules are fixed: no update function, and the stored record is immutable.
    assert not [name for name in dir(contests) if "update" in name or "edit_contest" in name]
    with pytest.raises(dataclasses.FrozenInstanceError):
        contest.budget = 1.0  # type: ignore[misc]
    # One contest per metric at a time: no second launch, no new suggestion.
    with pytest.raises(ContestError, match="one contest per metric"):
        launch_contest(store, s, WED_CLOSE)
    assert suggest_contests(store, WED_CLOSE) == []
    assert [c.contest_id for c in running_contests(store, day(3))] == [contest_id]
    assert running_contests(store, WED_CLOSE) == []  # it starts Thursday


def test_launch_edited_suggestion(store: Store, behind: dict[str, int]) -> None:
    [s] = suggest_contests(store, WED_CLOSE)
    settings = load_settings(store)
    edited = edit_suggestion(s, settings, target=s.target * 2, budget=300.0)
    assert edited.budget == 300 and edited.target == s.target * 2
    assert all(e.target >= o.target for e, o in zip(edited.rep_targets, s.rep_targets, strict=True))
    assert "Edited: budget $300" in "\n".join(edited.arithmetic)
    with pytest.raises(ValueError, match="two weeks"):
        edit_suggestion(s, settings, end=s.start + timedelta(days=20))
    contest_id = launch_contest(store, edited, WED_CLOSE)
    assert get_contest(store, contest_id).budget == 300


def test_cancel(store: Store, behind: dict[str, int]) -> None:
    [s] = suggest_contests(store, WED_CLOSE)
    contest_id = launch_contest(store, s, WED_CLOSE)
    cancel_contest(store, contest_id, day(3, 11))
    contest = get_contest(store, contest_id)
    assert contest.status == "cancelled" and contest.cancelled_at == day(3, 11)
    assert running_contests(store, day(3, 12)) == []
    assert standings_for_rep(store, behind["Ana"], day(3, 12)) == []
    with pytest.raises(ContestError, match="already cancelled"):
        cancel_contest(store, contest_id, day(3, 12))
    # A change is a new contest.
    assert [x.metric for x in suggest_contests(store, WED_CLOSE)] == ["meetings"]
    assert contest_results(store, contest_id, day(7)).payouts == ()


def test_coaching_cannot_be_launched(store: Store, behind: dict[str, int]) -> None:
    [s] = suggest_contests(store, WED_CLOSE)
    with pytest.raises(ContestError, match="coaching"):
        launch_contest(store, dataclasses.replace(s, format="coaching"), WED_CLOSE)


def test_standings_count_the_window_up_to_as_of(store: Store) -> None:
    no_holidays(store)
    reps = team(store, ["Ana", "Ben", "Cy"])
    contest_id = launch_contest(store, _suggestion(reps, {"Ana": 3, "Ben": 4, "Cy": 2}), WED_CLOSE)
    add_activity(
        store,
        reps["Ana"],
        [(day(2, 16), "meetings"), (day(3, 9), "meetings"), (day(3, 11), "meetings"), (day(3, 11), "meetings")],
    )
    add_activity(store, reps["Ben"], [(day(3, 10), "meetings"), (day(3, 15), "meetings")])
    as_of = day(3, 12)  # Thursday noon: Ana's 3 Thursday-morning meetings count; Wednesday's and Ben's 15:00 don't

    frame = contest_standings(store, contest_id, as_of)

    rows = {r["slug"]: r for r in frame.to_dicts()}
    assert set(frame.columns) >= {"slug", "name", "division", "actual", "target", "pct_of_target", "reached", "rank"}
    assert (rows["ana"]["actual"], rows["ana"]["reached"], rows["ana"]["rank"]) == (3.0, True, 1)
    assert (rows["ben"]["actual"], rows["ben"]["pct_of_target"], rows["ben"]["rank"]) == (1.0, 0.25, 2)
    assert (rows["cy"]["actual"], rows["cy"]["reached"], rows["cy"]["rank"]) == (0.0, False, 3)

    [mine] = standings_for_rep(store, reps["Ben"], as_of)
    assert (mine.contest_id, mine.actual, mine.target, mine.reached) == (contest_id, 1.0, 4.0, False)
    assert "1 of your 4 meetings" in mine.summary


def test_results_threshold_race_and_team_goal(store: Store) -> None:
    no_holidays(store)
    reps = team(store, ["Ana", "Ben", "Cy", "Dee"])
    add_activity(store, reps["Ana"], [(day(3), "meetings")] * 3)
    add_activity(store, reps["Ben"], [(day(3), "meetings")] * 2)
    add_activity(store, reps["Cy"], [(day(4), "meetings")] * 2)
    after = day(7)

    threshold = launch_contest(store, _suggestion(reps, {"Ana": 3, "Ben": 4, "Cy": 2, "Dee": 1}), WED_CLOSE)
    results = contest_results(store, threshold, after)
    assert results.finished
    assert sorted(p.slug for p in results.payouts) == ["ana", "cy"] and results.cost == 100
    cancel_contest(store, threshold, after)

    divisions = {"Ana": "Division A", "Ben": "Division A", "Cy": "Division B", "Dee": "Division B"}
    race = launch_contest(
        store,
        _suggestion(reps, {"Ana": 6, "Ben": 2, "Cy": 2, "Dee": 1}, fmt="division_race", divisions=divisions),
        WED_CLOSE,
    )
    payouts = {p.slug: p.division for p in contest_results(store, race, after).payouts}
    assert payouts == {"ben": "Division A", "cy": "Division B"}  # % of own target, not raw volume
    cancel_contest(store, race, after)

    team_goal = launch_contest(
        store, _suggestion(reps, {"Ana": 2, "Ben": 2, "Cy": 2, "Dee": 1}, fmt="team_goal", prize=25), WED_CLOSE
    )
    result = contest_results(store, team_goal, after)
    assert result.team_actual == 7 and result.team_target == 7 and result.team_reached
    assert len(result.payouts) == 4 and result.cost == 100


def test_lift_against_four_comparable_weeks_and_the_week_after(store: Store) -> None:
    no_holidays(store)
    reps = team(store, ["Ana", "Ben", "Outsider"])
    weekly = {4: 10, 3: 12, 2: 8, 1: 10}  # meetings per week before, split between Ana and Ben
    for back, n in weekly.items():
        monday = MONDAY - timedelta(weeks=back)
        add_activity(store, reps["Ana"], [(day(i % 5, 11, monday), "meetings") for i in range(n // 2)])
        add_activity(store, reps["Ben"], [(day(i % 5, 12, monday), "meetings") for i in range(n - n // 2)])
    add_activity(store, reps["Ana"], [(day(i % 5, 11), "meetings") for i in range(9)])  # the contest week: 15
    add_activity(store, reps["Ben"], [(day(i % 5, 12), "meetings") for i in range(6)])
    add_activity(store, reps["Outsider"], [(day(1), "meetings")] * 20)  # not a participant
    next_monday = MONDAY + timedelta(weeks=1)
    add_activity(store, reps["Ana"], [(day(i % 5, 11, next_monday), "meetings") for i in range(7)])  # after: 7

    contest_id = launch_contest(
        store,
        _suggestion(
            {"Ana": reps["Ana"], "Ben": reps["Ben"]},
            {"Ana": 8, "Ben": 6},
            start=MONDAY,
            end=MONDAY + timedelta(days=4),
            budget=100,
            prize=50,
        ),
        datetime(2026, 10, 18, 20),
    )

    with pytest.raises(ValueError, match="not finished"):
        measure_lift(store, contest_id, day(3))
    mid = measure_lift(store, contest_id, datetime(2026, 10, 28, 12))
    assert mid.after is None and mid.after_change_pct is None

    lift = measure_lift(store, contest_id, datetime(2026, 11, 2, 9))
    # Baseline: (10 + 12 + 8 + 10) meetings over 20 working days = 2 a day; contest week 15 over 5 = 3 a day.
    assert [p.actual for p in lift.baseline] == [10, 8, 12, 10]
    assert lift.baseline_per_day == pytest.approx(2.0)
    assert lift.during.per_day == pytest.approx(3.0)
    assert lift.lift_pct == pytest.approx(0.5)
    assert lift.incremental_units == pytest.approx(5.0)
    # Both reached their targets: 2 × $50 = $100 → $20 per incremental meeting.
    assert lift.cost == 100 and lift.cost_per_incremental_unit == pytest.approx(20.0)
    # The week after: 7 over 5 = 1.4 a day, a 30% dip; net of it, 5 − 3 = 2 extra meetings.
    assert lift.after is not None and lift.after.per_day == pytest.approx(1.4)
    assert lift.after_change_pct == pytest.approx(-0.3)
    assert lift.net_incremental_units == pytest.approx(2.0)

    history = contest_history(store, datetime(2026, 11, 2, 9))
    [row] = history.to_dicts()
    assert row["contest_id"] == contest_id and row["lift_pct"] == pytest.approx(0.5)
    assert row["cost_per_incremental_unit"] == pytest.approx(20.0)


def test_two_launches_for_one_metric_at_once_cannot_both_pass(
    store: Store, behind: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked inside the write: writers take turns (on a lake across processes), so the second sees the first."""
    [s] = suggest_contests(store, WED_CLOSE)
    check = lifecycle.active_contest_metrics

    def check_then_wait(db: object, as_of: datetime, team: str | None) -> set[str]:
        active = check(db, as_of, team)  # type: ignore[arg-type]
        time.sleep(0.3)  # both launches would find the metric free here if they checked outside the write
        return active

    monkeypatch.setattr(lifecycle, "active_contest_metrics", check_then_wait)
    start = threading.Barrier(2)

    def launch(_: int) -> str:
        start.wait()
        try:
            return str(launch_contest(store, s, WED_CLOSE))
        except ContestError as exc:
            return str(exc)

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(launch, range(2)))
    assert sum("one contest per metric" in o for o in outcomes) == 1, outcomes
    assert store.scalar("SELECT count(*) FROM contests WHERE status <> 'cancelled'") == 1
