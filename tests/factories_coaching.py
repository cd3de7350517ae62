"""Coaching scenarios built by hand, in weeks with no public holidays in play.

"This week" is the week of Mon 2026-10-19 (as in factories_contests). Weeks
are counted back from it: 1 = the week of Oct 12.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from scorecard.store import Store
from tests.factories import add_activity, add_rep
from tests.factories_contests import MONDAY, no_holidays

WEEK_END = datetime(2026, 10, 25, 23, 59, 59)  # the last second of this week
PEER_WEEKS = range(1, 17)  # completed weeks of history in the peer scenario


def monday(back: int) -> date:
    """The Monday `back` weeks before this week's (0 = this week)."""
    return MONDAY - timedelta(weeks=back)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0))


def week_of_counts(store: Store, rep_id: int, back: int, counts: dict[str, int], days: int = 5) -> None:
    """`counts` spread over the first `days` working days of the week `back` weeks ago."""
    first = monday(back)
    events = [
        (at(first + timedelta(days=i % days), 9 + i % 7), metric)
        for metric, n in counts.items()
        for i in range(n)
    ]
    if events:
        add_activity(store, rep_id, events)


def weekly(store: Store, rep_id: int, counts: dict[str, int], weeks: range) -> None:
    """The same `counts` in every week of `weeks` (weeks back), as one batch."""
    events = []
    for back in weeks:
        first = monday(back)
        events += [
            (at(first + timedelta(days=i % 5), 9 + i % 7), metric) for metric, n in counts.items() for i in range(n)
        ]
    if events:
        add_activity(store, rep_id, events)


def peer_team(store: Store) -> dict[str, int]:
    """A team of six on the conversation → meeting ratio, 16 completed weeks of history.

    Ana, Ben and Dev convert half their conversations every week (strong);
    Chloe and Emma convert a fifth (significantly below the rest); Finn converts
    30% (below the rest's 37%, within normal variation); Gus has too few
    conversations for any claim.
    """
    no_holidays(store)
    reps = {name: add_rep(store, name, team="East") for name in ("Ana", "Ben", "Chloe", "Dev", "Emma", "Finn", "Gus")}
    for name in ("Ana", "Ben", "Dev"):
        weekly(store, reps[name], {"conversations": 10, "meetings": 5}, PEER_WEEKS)
    for name in ("Chloe", "Emma"):
        weekly(store, reps[name], {"conversations": 10, "meetings": 2}, PEER_WEEKS)
    weekly(store, reps["Finn"], {"conversations": 10, "meetings": 3}, PEER_WEEKS)
    weekly(store, reps["Gus"], {"conversations": 2}, PEER_WEEKS)
    return reps


STEADY = {"conversations": 8, "meetings": 4}  # the default goals, met every week
SLUMP = {"conversations": 4, "meetings": 2}
ONE_ON_ONE_BACK = 5  # the 1:1 is held in the week 5 weeks back, on its Wednesday


def coached_team(
    store: Store,
    coached: tuple[str, ...],
    addressed: tuple[str, ...] = ("conversations",),
    after: dict[str, int] | None = None,
    steady_after: dict[str, int] | None = None,
    uncoached: dict[str, dict[str, int]] | None = None,
) -> dict[str, int]:
    """Ana and Ben steady; each of `coached` in a slump, flagged, then coached in a 1:1 five weeks back.

    Weeks 6–12 back: the coached reps at half their goals (flagged by week 5).
    Week 5: the 1:1 on Wednesday. Weeks 1–4: `after` for the coached reps
    (default: back on goal) and `steady_after` for Ana and Ben (default: on goal).
    `uncoached`: more reps in the same slump, flagged too, never coached, with their weeks 1–4.
    """
    from scorecard import coaching

    no_holidays(store)
    alone = uncoached or {}
    reps = {name: add_rep(store, name, team="East") for name in ("Ana", "Ben", *coached, *alone)}
    for name, weeks_after in alone.items():
        weekly(store, reps[name], SLUMP, range(5, 13))
        weekly(store, reps[name], weeks_after, range(1, 5))
    for name in ("Ana", "Ben"):
        weekly(store, reps[name], STEADY, range(5, 13))
        weekly(store, reps[name], steady_after or STEADY, range(1, 5))
    for name in coached:
        weekly(store, reps[name], SLUMP, range(6, 13))
        weekly(store, reps[name], {"conversations": 6, "meetings": 3}, range(5, 6))
        weekly(store, reps[name], after or STEADY, range(1, 5))
        coaching.record_one_on_one(
            store, reps[name], monday(ONE_ON_ONE_BACK) + timedelta(days=2), "Talked it through", addressed=addressed
        )
    return reps
