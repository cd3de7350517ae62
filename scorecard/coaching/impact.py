"""Does coaching work? Each flagged-and-coached rep and metric, before and after, against the team.

A case is a rep and a lead metric the rep was flagged on (missed weeks
running) when a 1:1 addressed it; the first such 1:1 counts. The rep's pace
(actual ÷ goal, both summed over the weeks, goals prorated for PTO as always)
in the 4 complete weeks after the 1:1's week is compared with the 4 weeks
before it, and so is the rest of the team's over the same weeks: a rep who
rises while everyone rises has not shown much. The week of the 1:1 itself is
left out, being half before and half after.

Every number comes from the scorecards (`scores.rep_scorecard`), never from
a second reckoning of pace. With fewer than MIN_CASES cases the answer says
plainly that nothing can be concluded yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from scorecard import scores
from scorecard.calendar import Period, period_for
from scorecard.catalog import load_catalog
from scorecard.coaching.commitments import week_end
from scorecard.coaching.log import one_on_ones, people
from scorecard.roster import Rep
from scorecard.settings import load_settings
from scorecard.store import Store
from scorecard.viewcache import cached

WINDOW_WEEKS = 4
MIN_CASES = 5
# Scorecards are read as of the end of every third week: a scorecard's 12 weeks
# then cover the 9 a case needs, and nearby cases share the same scorecards.
GRID_WEEKS = 3


@dataclass(frozen=True)
class Window:
    """Actual and goal summed over the weeks with a goal (rep-weeks for the team)."""

    actual: float
    goal: float
    weeks: int

    @property
    def pace(self) -> float | None:
        return self.actual / self.goal if self.goal > 0 else None

    def text(self) -> str:
        if self.pace is None:
            return "no goal in those weeks"
        return f"{self.pace:.0%} ({self.actual:g} of {self.goal:.1f} over {self.weeks} week{'s' if self.weeks != 1 else ''})"


@dataclass(frozen=True)
class CoachingCase:
    rep: Rep
    metric: str
    label: str
    one_on_one: date
    before: Window
    after: Window
    team_before: Window
    team_after: Window
    teammates: int

    @property
    def rep_change(self) -> float | None:
        a, b = self.after.pace, self.before.pace
        return None if a is None or b is None else a - b

    @property
    def team_change(self) -> float | None:
        a, b = self.team_after.pace, self.team_before.pace
        return None if a is None or b is None else a - b

    @property
    def net(self) -> float | None:
        """The rep's change beyond the team's, in shares of goal (0.12 = 12 points)."""
        mine, theirs = self.rep_change, self.team_change
        return None if mine is None or theirs is None else mine - theirs

    @property
    def text(self) -> str:
        net = "" if self.net is None else f"; {self.net * 100:+.0f} points beyond the team's change"
        return (
            f"{self.rep.display_name}, {self.label} (1:1 on {self.one_on_one:%b} {self.one_on_one.day}): "
            f"{self.before.text()} in the {WINDOW_WEEKS} weeks before, {self.after.text()} after. "
            f"The rest of the team ({self.teammates} reps): {self.team_before.text()} before, "
            f"{self.team_after.text()} after{net}."
        )


@dataclass(frozen=True)
class Waiting:
    """A coached flag whose four weeks after the 1:1 are not over yet."""

    rep: Rep
    metric: str
    label: str
    one_on_one: date
    ready_on: date


@dataclass(frozen=True)
class CoachingImpact:
    as_of: datetime
    cases: list[CoachingCase]
    waiting: list[Waiting]
    enough: bool
    conclusion: str


def coaching_impact(store: Store, as_of: datetime, *, team: str | None = None) -> CoachingImpact:
    """Every flagged-and-coached rep and metric of `team` (every team for None), as of `as_of`."""
    settings, catalog = load_settings(store), load_catalog(store)
    everyone = people(store)
    in_scope = {r.rep_id for r in everyone.values() if r.active and (team is None or r.team == team)}
    cases: list[CoachingCase] = []
    waiting: list[Waiting] = []
    for rep_id, metric, held_on in _first_coached(store, as_of, in_scope):
        rep = everyone[rep_id]
        label = catalog.metrics[metric].label
        if not _was_flagged(store, rep, metric, held_on):
            continue
        meeting = period_for("week", held_on, settings)
        last = _shift(meeting, WINDOW_WEEKS)
        if as_of < week_end(last):
            waiting.append(Waiting(rep, metric, label, held_on, last.end + timedelta(days=1)))
            continue
        cases.append(_case(store, rep, metric, label, held_on, meeting, everyone))
    measured = [c for c in cases if c.net is not None]
    return CoachingImpact(as_of, cases, waiting, len(measured) >= MIN_CASES, _conclusion(measured, waiting))


def _first_coached(store: Store, as_of: datetime, in_scope: set[int]) -> list[tuple[int, str, date]]:
    """(rep, metric, the first 1:1 that addressed it), oldest first."""
    first: dict[tuple[int, str], date] = {}
    for meeting in reversed(one_on_ones(store, as_of.date())):
        if meeting.rep_id in in_scope:
            for metric in meeting.addressed:
                first.setdefault((meeting.rep_id, metric), meeting.held_on)
    return sorted(((r, m, d) for (r, m), d in first.items()), key=lambda c: (c[2], c[0], c[1]))


def _was_flagged(store: Store, rep: Rep, metric: str, held_on: date) -> bool:
    """Was the rep flagged on `metric` on the day of the 1:1 (the team view as of that evening)?"""
    evening = datetime.combine(held_on, time(23, 59, 59))
    view = cached(store, scores.team_view, evening, team=rep.team)
    return any(f.rep.rep_id == rep.rep_id and f.metric == metric for f in view.flags)


def _shift(week: Period, weeks: int) -> Period:
    step = timedelta(weeks=weeks)
    return Period("week", week.start + step, week.end + step)


def _anchor(last: Period) -> datetime:
    """The end of the first grid week at or after `last`."""
    behind = (-(last.start.toordinal() // 7)) % GRID_WEEKS
    return week_end(_shift(last, behind))


def _trend(store: Store, rep: Rep, anchor: datetime) -> pl.DataFrame:
    sc = cached(store, scores.rep_scorecard, rep.slug, anchor)
    return sc.weekly_trend


def _window(trend: pl.DataFrame, metric: str, first: date, last: date, since: date | None = None) -> Window:
    rows = trend.filter(
        (pl.col("metric") == metric)
        & pl.col("week_start").is_between(max(first, since or first), last)
        & (pl.col("goal") > 0)
    )
    return Window(float(rows["actual"].sum()), float(rows["goal"].sum()), rows.height)


def _first_active_week(trend: pl.DataFrame) -> date | None:
    """A teammate's first week with any activity: weeks before they started are not misses."""
    active = trend.filter(pl.col("actual") > 0)
    if active.is_empty():
        return None
    value = active["week_start"].min()
    return value if isinstance(value, date) else None


def _add(a: Window, b: Window) -> Window:
    return Window(a.actual + b.actual, a.goal + b.goal, a.weeks + b.weeks)


def _case(
    store: Store, rep: Rep, metric: str, label: str, held_on: date, meeting: Period, everyone: dict[int, Rep]
) -> CoachingCase:
    before = (_shift(meeting, -WINDOW_WEEKS).start, _shift(meeting, -1).start)
    after = (_shift(meeting, 1).start, _shift(meeting, WINDOW_WEEKS).start)
    anchor = _anchor(_shift(meeting, WINDOW_WEEKS))
    mine = _trend(store, rep, anchor)
    team_before = team_after = Window(0.0, 0.0, 0)
    teammates = 0
    for other in everyone.values():
        if other.rep_id == rep.rep_id or not other.active or other.team != rep.team:
            continue
        trend = _trend(store, other, anchor)
        since = _first_active_week(trend)
        if since is None:
            continue
        teammates += 1
        team_before = _add(team_before, _window(trend, metric, *before, since=since))
        team_after = _add(team_after, _window(trend, metric, *after, since=since))
    return CoachingCase(
        rep=rep,
        metric=metric,
        label=label,
        one_on_one=held_on,
        before=_window(mine, metric, *before),
        after=_window(mine, metric, *after),
        team_before=team_before,
        team_after=team_after,
        teammates=teammates,
    )


def _conclusion(measured: list[CoachingCase], waiting: list[Waiting]) -> str:
    n = len(measured)
    later = f" {len(waiting)} more can be measured once their four weeks after the 1:1 are over." if waiting else ""
    if n < MIN_CASES:
        if n == 0 and not waiting:
            return (
                "Nothing to measure yet: log 1:1s on the 1:1 prep page and mark the flags each one addressed."
            )
        return (
            f"Too few cases to conclude anything: {n} coached flag{'s' if n != 1 else ''} with four weeks after "
            f"the 1:1, and at least {MIN_CASES} are needed before a pattern means more than chance.{later}"
        )
    improved = sum(1 for c in measured if (c.net or 0.0) > 0)
    average = sum(c.net or 0.0 for c in measured) / n * 100
    caution = (
        " A flagged rep is caught at a low point and tends to recover somewhat anyway, so read a small lead "
        "with caution."
    )
    if improved * 2 > n and average > 0:
        return (
            f"In {improved} of {n} cases the coached rep's pace rose more than the rest of the team's over the "
            f"same weeks, by {average:+.0f} points on average.{caution}{later}"
        )
    return (
        f"Coached reps did not improve more than the team: only {improved} of {n} cases rose more than the rest of "
        f"the team over the same weeks ({average:+.0f} points on average). Look at what the 1:1s agree on.{later}"
    )
