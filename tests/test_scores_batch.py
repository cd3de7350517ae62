"""Many scorecards in one pass equal one scorecard at a time, exactly, whatever the team looks like.

After a commit the server builds every open page's scorecard in one pass
(`rep_scorecards`); a page opened later builds its own (`rep_scorecard`). Both
must show the same numbers to the last bit: random teams with goal changes, PTO
and a holiday week, a rep who left, reps in two teams, weeks and months.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from scorecard.admin import rep_edit, update_rep
from scorecard.goals import GoalChange, add_pto, set_goals
from scorecard.scores import RepScorecard, rep_scorecard, rep_scorecards
from scorecard.scores._context import context
from scorecard.store import Store
from tests.factories_pace import random_team

MOMENTS = (
    datetime(2026, 11, 18, 13, 0),  # a Wednesday afternoon
    datetime(2026, 11, 16, 8, 30),  # Monday before the day starts: nothing expected yet
    datetime(2026, 11, 13, 18, 45),  # Friday after close: the week is whole
    datetime(2026, 11, 25, 11, 15, 30),  # Thanksgiving week (a holiday on Thursday)
)


def assert_same(batch: RepScorecard, alone: RepScorecard) -> None:
    for f in dataclasses.fields(RepScorecard):
        ours, theirs = getattr(batch, f.name), getattr(alone, f.name)
        if f.name == "weekly_trend":
            assert ours.equals(theirs), (alone.rep.slug, ours, theirs)
        else:
            assert ours == theirs, (alone.rep.slug, f.name)


def fresh(store: Store) -> None:
    """Forget what the scores memoised, so the one-rep pass computes from the data, not from the batch."""
    with store.write():
        pass


def check(store: Store, slugs: list[str], as_of: datetime, kind: str = "week") -> None:
    fresh(store)
    batch = rep_scorecards(store, slugs, as_of, period_kind=kind)  # type: ignore[arg-type]
    assert sorted(batch) == sorted(slugs)
    for slug in slugs:
        fresh(store)
        assert_same(batch[slug], rep_scorecard(store, slug, as_of, period_kind=kind))  # type: ignore[arg-type]


def all_slugs(store: Store) -> list[str]:
    return sorted(context(store).reps.get_column("slug").to_list())


@pytest.mark.parametrize("seed", (3, 11))
def test_one_pass_equals_one_rep_at_a_time(store: Store, seed: int) -> None:
    team = random_team(store, seed)
    slugs = all_slugs(store)
    for as_of in MOMENTS:
        check(store, slugs, as_of)
    check(store, slugs, MOMENTS[0], "month")
    # A goal change mid-way, a week of PTO across the holiday, and a rep who left.
    rep_id = team.reps["Bo Chen"]
    set_goals(store, context(store).catalog, [GoalChange(rep_id, "meetings", 7.0, date(2026, 11, 10))])
    add_pto(store, team.reps["Ed Fox"], [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)])
    gone = team.reps["Flo Gray"]
    update_rep(store, gone, dataclasses.replace(rep_edit(store, gone), active=False))
    for as_of in (MOMENTS[0], MOMENTS[3]):
        check(store, slugs, as_of)


def test_a_subset_and_unknown_keys(store: Store) -> None:
    random_team(store, 5)
    slugs = all_slugs(store)[::2]
    check(store, slugs, MOMENTS[0])
    assert rep_scorecards(store, ["nobody-here"], MOMENTS[0]) == {}
    mixed = rep_scorecards(store, [slugs[0], "nobody-here"], MOMENTS[0])
    assert list(mixed) == [slugs[0]]
