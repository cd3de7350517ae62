"""Coaching: 1:1 prep, the coaching log and its commitments, peer pairs, the leader's scorecard.

docs/coaching.md states the rules to managers:

- `log`          who manages whom; 1:1s with notes (managers only) and commitments; sessions held
- `commitments`  a commitment judged by the scorecard once its week is over: kept, missed or pending
- `evidence`     a rep's conversion ratios against the rest of the team, with the evidence rule
- `pairs`        peer-coaching pairs on each competency ratio, rotating week to week
- `leader`       the manager's own scorecard: joint customer time, 1:1s, coaching sessions
- `prep`         the 1:1 prep page's view of one rep
- `impact`       does coaching work? before and after each coached flag, against the team
- `culture`      peer sessions and 1:1s held over the last four weeks
- `views`        the same, cached per data version for the pages
"""

from __future__ import annotations

from scorecard.coaching.commitments import (
    CommitmentReview,
    RepCommitment,
    rep_commitments,
    review,
    review_one,
    week_end,
)
from scorecard.coaching.culture import CoachingCulture, coaching_culture
from scorecard.coaching.evidence import RatioEvidence, rep_ratios
from scorecard.coaching.impact import MIN_CASES, CoachingCase, CoachingImpact, coaching_impact
from scorecard.coaching.leader import LeaderCard, LeaderMetric, LeaderScore, leader_cards, leader_metrics
from scorecard.coaching.log import (
    LEADER_KINDS,
    SESSION_KINDS,
    CoachingError,
    Commitment,
    NewCommitment,
    OneOnOne,
    Session,
    add_commitment,
    add_manager,
    commitments,
    direct_reports,
    find_person,
    leader_goal_rows,
    log_peer_session,
    log_session,
    managers,
    move_rep,
    one_on_ones,
    people,
    record_one_on_one,
    remove_commitment,
    remove_one_on_one,
    remove_session,
    sessions,
    set_leader_goals,
    set_manager,
)
from scorecard.coaching.pairs import PeerPair, pair_to_json, suggest_pairs
from scorecard.coaching.prep import LeadWeeks, LoggedOneOnOne, Prep, one_on_one_prep

__all__ = [
    "LEADER_KINDS",
    "MIN_CASES",
    "SESSION_KINDS",
    "CoachingCase",
    "CoachingCulture",
    "CoachingError",
    "CoachingImpact",
    "Commitment",
    "CommitmentReview",
    "LeadWeeks",
    "LeaderCard",
    "LeaderMetric",
    "LeaderScore",
    "LoggedOneOnOne",
    "NewCommitment",
    "OneOnOne",
    "PeerPair",
    "Prep",
    "RatioEvidence",
    "RepCommitment",
    "Session",
    "add_commitment",
    "add_manager",
    "coaching_culture",
    "coaching_impact",
    "commitments",
    "direct_reports",
    "find_person",
    "leader_cards",
    "leader_goal_rows",
    "leader_metrics",
    "log_peer_session",
    "log_session",
    "managers",
    "move_rep",
    "one_on_one_prep",
    "one_on_ones",
    "pair_to_json",
    "people",
    "record_one_on_one",
    "remove_commitment",
    "remove_one_on_one",
    "remove_session",
    "rep_commitments",
    "rep_ratios",
    "review",
    "review_one",
    "sessions",
    "set_leader_goals",
    "set_manager",
    "suggest_pairs",
    "week_end",
]
