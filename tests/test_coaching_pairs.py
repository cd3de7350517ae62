"""Peer pairs: only on significant differences, rotating week to week, nobody twice, never with their own manager."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from scorecard import coaching
from scorecard.cli import main
from scorecard.store import Store
from tests.factories import add_rep
from tests.factories_coaching import peer_team, weekly

AS_OF = datetime(2026, 10, 21, 12, 0)  # Wednesday of "this week"
RATIO = "conversation_to_meeting"


def _pairs(store: Store, as_of: datetime = AS_OF) -> list[tuple[str, str]]:
    return [(p.coach.display_name, p.learner.display_name) for p in coaching.suggest_pairs(store, as_of) if p.ratio == RATIO]


def test_only_reps_significantly_below_are_learners_and_only_steady_reps_coach(store: Store) -> None:
    peer_team(store)
    pairs = coaching.suggest_pairs(store, AS_OF)
    assert {p.ratio for p in pairs} == {RATIO}  # the other ratios have too little data for a claim
    learners = sorted(p.learner.display_name for p in pairs)
    assert learners == ["Chloe", "Emma"]  # not Finn (30%: within normal variation), not Gus (too few)
    assert {p.coach.display_name for p in pairs} <= {"Ana", "Ben", "Dev"}
    chloe = next(p for p in pairs if p.learner.display_name == "Chloe")
    assert (chloe.learner_rate, chloe.coach_rate) == (pytest.approx(0.2), pytest.approx(0.5))
    assert "26 of 130 conversations" in chloe.evidence and "p < 0.001" in chloe.evidence
    assert "at or above the team's 35% in each of the last 3 completed weeks" in chloe.evidence
    assert "week of Oct 12: 5 meetings from 10 conversations" in chloe.evidence


def test_a_coach_must_be_strong_every_recent_week(store: Store) -> None:
    peer_team(store)
    ivy = add_rep(store, "Ivy", team="East")
    weekly(store, ivy, {"conversations": 10, "meetings": 5}, range(2, 17))
    weekly(store, ivy, {"conversations": 10, "meetings": 1}, range(1, 2))  # slipped last week
    assert "Ivy" not in {coach for coach, _ in _pairs(store)}
    # Before that week she was strong every week: over four rotating weeks she coaches.
    earlier = {coach for k in range(1, 5) for coach, _ in _pairs(store, AS_OF - timedelta(weeks=k))}
    assert "Ivy" in earlier


def test_pairs_rotate_week_to_week_and_hold_within_a_week(store: Store) -> None:
    peer_team(store)
    this_week = _pairs(store)
    assert _pairs(store, AS_OF + timedelta(days=2, hours=3)) == this_week  # the same all week
    weeks = [_pairs(store, AS_OF - timedelta(weeks=k)) for k in range(3)]
    assert len({tuple(w) for w in weeks}) == 3  # three coaches, three different weeks
    for week in weeks:
        named = [name for pair in week for name in pair]
        assert len(named) == len(set(named)) == 4  # two pairs, nobody twice


def test_never_paired_with_their_own_manager(store: Store) -> None:
    reps = peer_team(store)
    # Ana manages Chloe; Emma manages Dev (a player-coach can be a rep too).
    coaching.set_manager(store, [reps["Chloe"]], reps["Ana"])
    coaching.set_manager(store, [reps["Dev"]], reps["Emma"])
    for k in range(6):
        pairs = _pairs(store, AS_OF - timedelta(weeks=k))
        assert len(pairs) == 2
        assert ("Ana", "Chloe") not in pairs and ("Dev", "Emma") not in pairs


def test_fewer_coaches_than_learners_names_each_coach_once(store: Store) -> None:
    reps = peer_team(store)
    with store.write() as cur:  # Ben, Dev and Finn leave the team: only Ana is a strong converter
        cur.execute("UPDATE reps SET active = FALSE WHERE list_contains(?, rep_id)", [[reps[n] for n in ("Ben", "Dev", "Finn")]])
    for k in range(3):
        pairs = _pairs(store, AS_OF - timedelta(weeks=k))
        assert len(pairs) == 1 and pairs[0][0] == "Ana" and pairs[0][1] in {"Chloe", "Emma"}


def test_pairs_json_shape(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    peer_team(store)
    assert main(["coaching", "pairs", "--db", str(store.path), "--as-of", AS_OF.isoformat(), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["as_of", "pairs"]
    assert len(data["pairs"]) == 2
    for pair in data["pairs"]:
        assert {"ratio", "coach", "learner", "coach_rate", "learner_rate", "evidence"} <= set(pair)
        assert pair["ratio"] == RATIO
        assert pair["learner"] in {"chloe", "emma"} and pair["coach"] in {"ana", "ben", "dev"}
        assert pair["coach_rate"] == 0.5 and pair["learner_rate"] == 0.2
        assert isinstance(pair["evidence"], str) and "p < 0.001" in pair["evidence"]
