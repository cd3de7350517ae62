"""The leader's own scorecard: joint customer time from export columns and from logged sessions, 1:1s, goals, pace."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from scorecard import coaching
from scorecard.goals import add_pto
from scorecard.ingest import ingest_bytes, undo_batch
from scorecard.store import Store
from tests.factories import add_rep
from tests.factories_contests import MONDAY, WED_CLOSE, no_holidays

EXPORT = b"""rep,date,type,outcome,attendees
Ana Lopez,2026-10-12 10:00,Meeting,,Maria Boss
Ana Lopez,2026-10-19 10:00,Meeting,,Maria Boss
Ana Lopez,2026-10-20 11:00,Call,Connected,Maria Boss; Ben Carter
Ana Lopez,2026-10-20 12:00,Call,No answer,Maria Boss
Ben Carter,2026-10-21 09:30,Meeting,,Customer Jo <maria@example.com>
Ben Carter,2026-10-21 10:00,Meeting,,Someone Else
Maria Boss,2026-10-21 14:00,Meeting,,Ben Carter
Ben Carter,2026-10-22 10:00,Meeting,,Maria Boss
Ana Lopez,2026-10-19 15:00,Meeting,,
"""


def _team(store: Store) -> tuple[int, int, int]:
    no_holidays(store)
    ana, ben = add_rep(store, "Ana Lopez"), add_rep(store, "Ben Carter")
    maria = coaching.add_manager(store, "Maria Boss", "maria@example.com")
    coaching.set_manager(store, [ana, ben], maria)
    return ana, ben, maria


def _card(store: Store, as_of: datetime = WED_CLOSE) -> dict[str, coaching.LeaderScore]:
    [card] = coaching.leader_cards(store, as_of)
    assert card.leader.display_name == "Maria Boss"
    return {m.metric: m for m in card.metrics}


def test_joint_customer_time_from_the_attendees_column(store: Store) -> None:
    _team(store)
    result = ingest_bytes(store, "activities.csv", EXPORT)
    assert store.scalar("SELECT count(*) FROM event_attendees") == 8  # the one blank cell keeps no row
    card = _card(store)
    # Mon meeting, Wed meeting by email, Wed meeting of her own naming Ben; not "Someone Else", not Thursday yet.
    meetings, calls = card["joint_meetings"], card["joint_calls"]
    assert (meetings.actual, meetings.from_exports, meetings.logged) == (3.0, 3, 0)
    assert (calls.actual, calls.from_exports) == (1.0, 1)  # the call that connected; a dial is not customer time
    assert meetings.recent[-1] == (MONDAY - timedelta(weeks=1), 1.0, 2.0)
    # Default goals, prorated like a rep's: 2 joint meetings a week, 0.6 of the week gone.
    assert (meetings.goal, meetings.expected_to_date, meetings.status) == (2.0, pytest.approx(1.2), "on_pace")
    assert (calls.goal, calls.pace, calls.status) == (3.0, pytest.approx(1 / 1.8), "behind")
    # Undoing the upload takes its joint time with it.
    undo_batch(store, result.batch_id)
    assert store.scalar("SELECT count(*) FROM event_attendees") == 0
    assert _card(store)["joint_meetings"].actual == 0.0


def test_logged_sessions_and_one_on_ones_count_and_goals_are_the_leaders_own(store: Store) -> None:
    ana, ben, maria = _team(store)
    coaching.log_session(store, "joint_meeting", MONDAY + timedelta(days=1), leader_id=maria, rep_id=ana)
    coaching.log_session(store, "joint_call", MONDAY, leader_id=maria, rep_id=ben)
    coaching.log_session(store, "coaching", MONDAY + timedelta(days=2), leader_id=maria, rep_id=ben)
    coaching.log_session(store, "coaching", MONDAY + timedelta(days=3), leader_id=maria, rep_id=ben)  # tomorrow
    coaching.record_one_on_one(store, ana, MONDAY + timedelta(days=1), "went well")  # held by her manager
    coaching.record_one_on_one(store, ben, MONDAY - timedelta(days=5), "last week")
    card = _card(store)
    assert [(m.metric, m.actual, m.logged) for m in card.values()] == [
        ("joint_meetings", 1.0, 1),
        ("joint_calls", 1.0, 1),
        ("one_on_ones", 1.0, 1),
        ("coaching_sessions", 1.0, 1),
    ]
    assert card["one_on_ones"].weekly_goal == 2.0  # one a week per direct report
    assert card["one_on_ones"].recent[-1][1:] == (1.0, 2.0)
    coaching.set_leader_goals(store, maria, {"joint_calls": 1, "coaching_sessions": None}, MONDAY, coaching_keys())
    coaching.set_leader_goals(store, maria, {"joint_calls": 5}, MONDAY + timedelta(weeks=1), coaching_keys())
    card = _card(store)
    assert (card["joint_calls"].weekly_goal, card["joint_calls"].status) == (1.0, "on_pace")
    assert (card["coaching_sessions"].goal, card["coaching_sessions"].pace) == (None, None)
    assert card["coaching_sessions"].summary == "1 session"


def coaching_keys() -> list[str]:
    return [m.key for m in coaching.leader_metrics()]


def test_the_leaders_pto_prorates_their_goals(store: Store) -> None:
    _ana, _ben, maria = _team(store)
    add_pto(store, maria, [MONDAY])
    card = _card(store, datetime.combine(MONDAY + timedelta(days=4), datetime.min.time()).replace(hour=17))
    assert card["joint_meetings"].goal == pytest.approx(2.0 * 4 / 5)
    assert card["one_on_ones"].goal == pytest.approx(2.0 * 4 / 5)


def test_only_managers_with_reps_in_scope_have_a_card(store: Store) -> None:
    ana, _ben, maria = _team(store)
    west = add_rep(store, "Wes Tran", team="West")
    assert [c.leader.rep_id for c in coaching.leader_cards(store, WED_CLOSE, team="West")] == []
    coaching.set_manager(store, [west], ana)  # a player-coach in the other team
    cards = coaching.leader_cards(store, WED_CLOSE)
    assert [(c.leader.display_name, [r.display_name for r in c.reports]) for c in cards] == [
        ("Ana Lopez", ["Wes Tran"]),
        ("Maria Boss", ["Ana Lopez", "Ben Carter"]),
    ]
    assert [c.leader.rep_id for c in coaching.leader_cards(store, WED_CLOSE, team="West")] == [ana]
    with pytest.raises(coaching.CoachingError):
        coaching.set_manager(store, [maria], west)  # Wes reports to Ana, who reports to Maria: a loop
    assert store.scalar("SELECT count(*) FROM rep_managers WHERE rep_id = ?", [maria]) == 0


def test_a_manager_who_does_not_sell_stays_out_of_the_team_numbers(store: Store) -> None:
    _team(store)
    row = store.fetchone("SELECT active, slug FROM reps WHERE display_name = 'Maria Boss'")
    assert row == (False, "maria-boss")
    with pytest.raises(coaching.CoachingError):
        coaching.add_manager(store, "maria boss")  # already on the roster
