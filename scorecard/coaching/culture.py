"""A coaching culture, in two numbers: peer sessions held and 1:1s held, over the last four weeks.

Counted over the four weeks ending with the week in progress, among the active
reps of the team (or of every team): how many peer sessions were held and how
many reps took part, and how many reps had a 1:1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scorecard.calendar import period_for
from scorecard.coaching.log import one_on_ones, people, sessions
from scorecard.settings import load_settings
from scorecard.store import Store

WEEKS = 4


@dataclass(frozen=True)
class CoachingCulture:
    since: date
    through: date
    reps: int  # active reps in scope
    peer_sessions: int
    reps_in_peer_sessions: int  # as coach or learner
    one_on_ones: int
    reps_with_one_on_one: int

    @property
    def text(self) -> str:
        return (
            f"Since {self.since:%b} {self.since.day}: {self.peer_sessions} peer session"
            f"{'s' if self.peer_sessions != 1 else ''} held, {self.reps_in_peer_sessions} of {self.reps} reps took "
            f"part; {self.reps_with_one_on_one} of {self.reps} reps had a 1:1 ({self.one_on_ones} in all)."
        )


def coaching_culture(store: Store, as_of: datetime, *, team: str | None = None) -> CoachingCulture:
    settings = load_settings(store)
    since = period_for("week", as_of.date(), settings).start - timedelta(weeks=WEEKS - 1)
    through = as_of.date()
    scope = {r.rep_id for r in people(store).values() if r.active and (team is None or r.team == team)}
    peers = [
        s
        for s in sessions(store, since, through)
        if s.kind == "peer" and (s.rep_id in scope or s.coach_id in scope)
    ]
    took_part = {r for s in peers for r in (s.rep_id, s.coach_id) if r in scope}
    meetings = [m for m in one_on_ones(store, through) if m.held_on >= since and m.rep_id in scope]
    return CoachingCulture(
        since=since,
        through=through,
        reps=len(scope),
        peer_sessions=len(peers),
        reps_in_peer_sessions=len(took_part),
        one_on_ones=len(meetings),
        reps_with_one_on_one=len({m.rep_id for m in meetings}),
    )
