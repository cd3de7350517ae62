"""The coaching log: 1:1s with notes and commitments, effective-dated, all or nothing; merges move it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scorecard import admin, coaching
from scorecard.store import Store
from tests.factories import add_rep
from tests.factories_contests import MONDAY, no_holidays


def test_a_one_on_one_is_written_whole_or_not_at_all(store: Store) -> None:
    no_holidays(store)
    ana, maria = add_rep(store, "Ana"), add_rep(store, "Maria")
    coaching.set_manager(store, [ana], maria)
    good = coaching.NewCommitment("meetings", 4, MONDAY + timedelta(days=7), note="book the follow-ups")
    with pytest.raises(coaching.CoachingError):
        coaching.record_one_on_one(store, ana, MONDAY, "notes", commitments=[good, coaching.NewCommitment("calls", 60, MONDAY)])
    assert store.scalar("SELECT count(*) FROM one_on_ones") == 0 and store.scalar("SELECT count(*) FROM commitments") == 0
    meeting = coaching.record_one_on_one(store, ana, MONDAY, "Pipeline is thin", addressed=["conversations"], commitments=[good])
    [held] = coaching.one_on_ones(store, MONDAY, ana)
    assert (held.one_on_one_id, held.leader_id, held.notes, held.addressed) == (meeting, maria, "Pipeline is thin", ("conversations",))
    assert coaching.one_on_ones(store, MONDAY - timedelta(days=1), ana) == []  # effective from the day it was held
    [made] = coaching.commitments(store, ana, MONDAY)
    assert (made.one_on_one_id, made.week_start, made.target, made.note) == (meeting, MONDAY + timedelta(days=7), 4.0, "book the follow-ups")
    coaching.remove_one_on_one(store, meeting)
    assert store.scalar("SELECT count(*) FROM commitments") == 0


def test_notes_have_a_limit(store: Store) -> None:
    ana = add_rep(store, "Ana")
    with pytest.raises(coaching.CoachingError):
        coaching.record_one_on_one(store, ana, date(2026, 10, 19), "x" * (coaching.log.MAX_NOTES + 1))


def test_peer_and_leader_sessions_are_validated(store: Store) -> None:
    ana, ben = add_rep(store, "Ana"), add_rep(store, "Ben")
    with pytest.raises(coaching.CoachingError):
        coaching.log_peer_session(store, ana, ana, "conversation_to_meeting", MONDAY)
    with pytest.raises(coaching.CoachingError):
        coaching.log_peer_session(store, ana, ben, "no_such_ratio", MONDAY)
    with pytest.raises(coaching.CoachingError):
        coaching.log_session(store, "peer", MONDAY, leader_id=ana, rep_id=ben)  # a peer session names two reps
    coaching.log_peer_session(store, ana, ben, "conversation_to_meeting", MONDAY)
    [held] = coaching.sessions(store, MONDAY, MONDAY)
    assert (held.kind, held.coach_id, held.rep_id, held.ratio) == ("peer", ana, ben, "conversation_to_meeting")


def test_merging_two_entries_moves_their_coaching(store: Store) -> None:
    no_holidays(store)
    ana, dup, maria, ben = (add_rep(store, n) for n in ("Ana", "Ana L", "Maria", "Ben"))
    coaching.set_manager(store, [dup], maria)
    coaching.set_manager(store, [ben], dup)  # Ben's manager was recorded under the duplicate
    coaching.record_one_on_one(store, dup, MONDAY, "under the other name")
    coaching.add_commitment(store, dup, coaching.NewCommitment("meetings", 3, MONDAY), made_on=MONDAY)
    coaching.log_session(store, "coaching", MONDAY, leader_id=dup, rep_id=ben)
    coaching.set_leader_goals(store, dup, {"joint_calls": 4}, MONDAY, [m.key for m in coaching.leader_metrics()])
    admin.merge_reps(store, ana, dup)
    assert coaching.managers(store) == {ana: maria, ben: ana}
    assert [m.rep_id for m in coaching.one_on_ones(store, MONDAY)] == [ana]
    assert [c.rep_id for c in coaching.commitments(store, ana, MONDAY)] == [ana]
    assert [s.leader_id for s in coaching.sessions(store, MONDAY, MONDAY)] == [ana]
    assert coaching.leader_goal_rows(store, ana) == [("joint_calls", 4.0, MONDAY)]
