"""Commitments: judged by the scorecard at the week boundary, prorated for PTO exactly as goals are."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from scorecard import coaching
from scorecard.cli import main
from scorecard.goals import add_pto
from scorecard.store import Store
from tests.factories import add_activity, add_rep
from tests.factories_coaching import WEEK_END, at
from tests.factories_contests import MONDAY, no_holidays

FRIDAY = MONDAY + timedelta(days=4)
MADE_ON = MONDAY - timedelta(days=3)  # agreed in the 1:1 on the Friday before


def _week(store: Store, rep: int, conversations: list[int]) -> None:
    """conversations[i] on weekday i of this week."""
    add_activity(store, rep, [(at(MONDAY + timedelta(days=i), 9 + k), "conversations") for i, n in enumerate(conversations) for k in range(n)])


def _commit(store: Store, rep: int, metric: str, target: float, week: date = MONDAY) -> int:
    return coaching.add_commitment(store, rep, coaching.NewCommitment(metric, target, week), made_on=MADE_ON)


def _statuses(store: Store, rep: int, as_of: datetime) -> list[tuple[str, float | None, str]]:
    person = coaching.people(store)[rep]
    return [(r.status, r.actual, r.commitment.metric) for r in coaching.review(store, person, as_of)]


def test_a_commitment_is_judged_at_the_week_boundary_not_before(store: Store) -> None:
    no_holidays(store)
    ana = add_rep(store, "Ana")
    _week(store, ana, [2, 2, 2, 2, 1])  # 9 conversations, the last on Friday
    _commit(store, ana, "conversations", 10)
    _commit(store, ana, "conversations", 8)
    friday_close = datetime.combine(FRIDAY, datetime.min.time()).replace(hour=17)
    assert _statuses(store, ana, friday_close) == [("pending", 9.0, "conversations")] * 2
    assert _statuses(store, ana, WEEK_END - timedelta(seconds=1)) == [("pending", 9.0, "conversations")] * 2
    judged = [("missed", 9.0, "conversations"), ("kept", 9.0, "conversations")]
    assert _statuses(store, ana, WEEK_END) == judged
    assert _statuses(store, ana, WEEK_END + timedelta(days=3)) == judged
    reasons = [r.reason for r in coaching.review(store, coaching.people(store)[ana], WEEK_END)]
    assert reasons == ["Missed: 9 against 10.", "Kept: 9 against 8."]


def test_a_week_whose_data_has_not_arrived_is_not_checkable_yet(store: Store) -> None:
    no_holidays(store)
    ana, ben, wes = add_rep(store, "Ana"), add_rep(store, "Ben"), add_rep(store, "Wes", team="West")
    _week(store, ana, [3, 3, 0, 0, 0])  # the export so far reaches Tuesday
    add_activity(store, wes, [(at(FRIDAY, 15), "meetings")])  # another team's export is complete: not Ana's
    _commit(store, ana, "conversations", 5)
    [review] = coaching.review(store, coaching.people(store)[ana], WEEK_END + timedelta(days=1))
    assert (review.status, review.actual) == ("pending", 6.0)
    assert "waiting for the data through Fri Oct 23" in review.reason
    add_activity(store, ben, [(at(FRIDAY, 15), "meetings")])  # the rest of the week is uploaded
    [review] = coaching.review(store, coaching.people(store)[ana], WEEK_END + timedelta(days=1))
    assert (review.status, review.actual) == ("kept", 6.0)


def test_pto_prorates_the_target_exactly_as_the_goal_is(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    no_holidays(store)
    ana, ben = add_rep(store, "Ana"), add_rep(store, "Ben")
    add_pto(store, ana, [MONDAY, MONDAY + timedelta(days=1)])  # 3 of 5 working days left
    add_pto(store, ben, [MONDAY, MONDAY + timedelta(days=1)])
    _week(store, ana, [0, 0, 2, 2, 2])  # 6
    _week(store, ben, [0, 0, 2, 2, 1])  # 5
    for rep in (ana, ben):
        _commit(store, rep, "conversations", 10)  # a full week's 10 is 6 in three days
        _commit(store, rep, "conversations", 8)  # the same as the weekly goal
    for slug, statuses in (("ana", ["kept", "kept"]), ("ben", ["missed", "kept"])):
        assert main(["coaching", "review", "--db", str(store.path), "--rep", slug, "--as-of", WEEK_END.isoformat(), "--json"]) == 0
        reviewed = json.loads(capsys.readouterr().out)["commitments"]
        assert main(["report", "--db", str(store.path), "--rep", slug, "--as-of", "2026-10-25", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        score = next(m for m in report["metrics"] if m["metric"] == "conversations")
        assert [c["status"] for c in reviewed] == statuses
        assert [c["target_for_week"] for c in reviewed] == [pytest.approx(6.0), pytest.approx(score["goal"])]
        # The same judgement as pace at the week's end: on pace exactly when the goal-sized commitment is kept.
        assert score["pace"] >= 1.0
        assert all(c["actual"] == score["actual"] for c in reviewed)


def test_a_week_off_entirely_cannot_be_judged(store: Store) -> None:
    no_holidays(store)
    ana, ben = add_rep(store, "Ana"), add_rep(store, "Ben")
    add_pto(store, ana, [MONDAY + timedelta(days=i) for i in range(5)])
    add_activity(store, ben, [(at(FRIDAY, 15), "meetings")])
    _commit(store, ana, "meetings", 3)
    [review] = coaching.review(store, coaching.people(store)[ana], WEEK_END)
    assert (review.status, review.target_for_week) == ("pending", 0.0)
    assert "PTO or holiday all week" in review.reason


def test_actual_is_the_report_number_for_that_week_end(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    no_holidays(store)
    ana = add_rep(store, "Ana Lopez")
    add_activity(
        store,
        ana,
        [(at(MONDAY, 10), "meetings"), (at(MONDAY + timedelta(days=2), 11), "meetings"), (at(FRIDAY, 16), "conversations")]
        + [(at(MONDAY + timedelta(days=3), 12), "deals_won", 4200.0), (at(FRIDAY, 12), "deals_won", 1800.0)]
        # after the week: never part of it
        + [(at(MONDAY + timedelta(days=7), 10), "meetings")],
    )
    for metric, target in (("meetings", 3), ("conversations", 1), ("revenue_won", 5000)):
        _commit(store, ana, metric, target)
    assert main(["coaching", "review", "--db", str(store.path), "--rep", "ana-lopez", "--as-of", "2026-11-02", "--json"]) == 0
    reviewed = json.loads(capsys.readouterr().out)
    assert main(["report", "--db", str(store.path), "--rep", "ana-lopez", "--as-of", "2026-10-25", "--json"]) == 0
    report = {m["metric"]: m for m in json.loads(capsys.readouterr().out)["metrics"]}
    got = {c["metric"]: (c["actual"], c["status"]) for c in reviewed["commitments"]}
    assert got == {
        "meetings": (report["meetings"]["actual"], "missed"),
        "conversations": (report["conversations"]["actual"], "kept"),
        "revenue_won": (report["revenue_won"]["actual"], "kept"),
    }
    assert got["meetings"][0] == 2.0 and got["revenue_won"][0] == 6000.0


def test_commitments_are_effective_dated_and_validated(store: Store) -> None:
    no_holidays(store)
    ana = add_rep(store, "Ana")
    person = coaching.people(store)[ana]
    coaching.add_commitment(store, ana, coaching.NewCommitment("meetings", 4, FRIDAY), made_on=MONDAY + timedelta(days=1))
    assert coaching.review(store, person, at(MONDAY, 12)) == []  # not made yet on Monday
    assert [r.commitment.week_start for r in coaching.review(store, person, at(MONDAY + timedelta(days=1), 12))] == [MONDAY]
    bad = [
        coaching.NewCommitment("calls", 50, MONDAY),  # never a target: a vanity count
        coaching.NewCommitment("no_such_metric", 5, MONDAY),
        coaching.NewCommitment("meetings", 0, MONDAY),
        coaching.NewCommitment("meetings", 4, MONDAY - timedelta(days=7)),  # that week was over when it was agreed
    ]
    for new in bad:
        with pytest.raises(coaching.CoachingError):
            coaching.add_commitment(store, ana, new, made_on=MONDAY)
    assert store.scalar("SELECT count(*) FROM commitments") == 1
