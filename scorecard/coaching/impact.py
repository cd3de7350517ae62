"""Does coaching work? Each flagged-and-coached rep and metric, before and after, against the team.

A case is a rep and a lead metric the rep was flagged on (missed weeks
running) when a 1:1 addressed it; the first such 1:1 counts. The rep's pace
(actual ÷ goal, both summed over the weeks, goals prorated for PTO as always)
in the 4 complete weeks after the 1:1's week is compared with the 4 weeks
before it, and so is the rest of the team's over the same weeks: a rep who
rises while everyone rises has not shown much. The week of the 1:1 itself is
left out, being half before and half after.

Every number comes from the weekly flash reports (`scores.flash_report`: each
rep's actual and prorated goal per week, the same cells as the scorecards),
never from a second reckoning of pace; a week's report is shared by every case
that needs it. With fewer than MIN_CASES cases the answer says plainly that
nothing can be concluded yet.
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
    # Teammates flagged on the same metric that day whom no 1:1 addressed it by the end of the weeks after:
    # how much a flagged rep recovers without coaching.
    uncoached_before: Window
    uncoached_after: Window
    uncoached: int

    @property
    def rep_change(self) -> float | None:
        a, b = self.after.pace, self.before.pace
        return None if a is None or b is None else a - b

    @property
    def team_change(self) -> float | None:
        a, b = self.team_after.pace, self.team_before.pace
        return None if a is None or b is None else a - b

    @property
    def uncoached_change(self) -> float | None:
        a, b = self.uncoached_after.pace, self.uncoached_before.pace
        return None if a is None or b is None else a - b

    @property
    def net(self) -> float | None:
        """The rep's change beyond the team's, in shares of goal (0.12 = 12 points)."""
        mine, theirs = self.rep_change, self.team_change
        return None if mine is None or theirs is None else mine - theirs

    @property
    def text(self) -> str:
        net = "" if self.net is None else f"; {self.net * 100:+.0f} points beyond the team's change"
        alone = ""
        if self.uncoached:
            alone = (
                f" Flagged that day but not coached on it ({self.uncoached} reps): {self.uncoached_before.text()} "
                f"before, {self.uncoached_after.text()} after."
            )
        return (
            f"{self.rep.display_name}, {self.label} (1:1 on {self.one_on_one:%b} {self.one_on_one.day}): "
            f"{self.before.text()} in the {WINDOW_WEEKS} weeks before, {self.after.text()} after. "
            f"The rest of the team ({self.teammates} reps): {self.team_before.text()} before, "
            f"{self.team_after.text()} after{net}.{alone}"
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
    coached = _first_coached(store, as_of, set(everyone))
    for (rep_id, metric), held_on in sorted(coached.items(), key=lambda c: (c[1], c[0])):
        rep = everyone[rep_id]
        if rep_id not in in_scope:
            continue
        label = catalog.metrics[metric].label
        flagged = _flagged(store, rep.team, metric, held_on)
        if rep_id not in flagged:
            continue
        meeting = period_for("week", held_on, settings)
        last = _shift(meeting, WINDOW_WEEKS)
        if as_of < week_end(last):
            waiting.append(Waiting(rep, metric, label, held_on, last.end + timedelta(days=1)))
            continue
        # Flagged the same day, and still not coached on it when the weeks after ended.
        alone = {r for r in flagged - {rep_id} if not coached.get((r, metric), date.max) <= last.end}
        cases.append(_case(store, rep, metric, label, held_on, meeting, everyone, alone))
    measured = [c for c in cases if c.net is not None]
    return CoachingImpact(as_of, cases, waiting, len(measured) >= MIN_CASES, _conclusion(measured, waiting))


def _first_coached(store: Store, as_of: datetime, reps: set[int]) -> dict[tuple[int, str], date]:
    """(rep, metric) -> the first 1:1 by as_of that addressed it."""
    first: dict[tuple[int, str], date] = {}
    for meeting in reversed(one_on_ones(store, as_of.date())):
        if meeting.rep_id in reps:
            for metric in meeting.addressed:
                first.setdefault((meeting.rep_id, metric), meeting.held_on)
    return first


def _flagged(store: Store, team: str, metric: str, day: date) -> set[int]:
    """The reps of `team` flagged on `metric` on `day` (the team view as of that evening)."""
    evening = datetime.combine(day, time(23, 59, 59))
    view = cached(store, scores.team_view, evening, team=team)
    return {f.rep.rep_id for f in view.flags if f.metric == metric}


def _shift(week: Period, weeks: int) -> Period:
    step = timedelta(weeks=weeks)
    return Period("week", week.start + step, week.end + step)


@dataclass(frozen=True)
class _Week:
    """One week of one rep on one metric, from the flash report: (actual, prorated goal or None), and any activity at all."""

    actual: float
    goal: float | None
    active: bool


def _weeks_of(store: Store, team: str, metric: str, weeks: list[date]) -> dict[str, list[_Week]]:
    """slug -> the rep's weeks, from the weekly flash reports of `team` (one per week, shared by every case)."""
    labels = [m.label for m in load_catalog(store).ordered()]
    label = load_catalog(store).metrics[metric].label
    out: dict[str, list[_Week]] = {}
    for week in weeks:
        frame = cached(store, scores.flash_report, week, team=team).frame.filter(pl.col("slug") != "")
        goals = frame.get_column(f"{label} goal") if f"{label} goal" in frame.columns else None
        active = frame.select(pl.sum_horizontal(labels) > 0).to_series()
        for i, slug in enumerate(frame.get_column("slug").to_list()):
            goal = None if goals is None else goals[i]
            out.setdefault(slug, []).append(_Week(float(frame[label][i]), goal, bool(active[i])))
    return out


def _window(weeks: list[_Week], first: int, last: int) -> Window:
    """Weeks first..last (indexes) with a goal: actual and goal summed."""
    chosen = [w for w in weeks[first : last + 1] if w.goal]
    return Window(sum(w.actual for w in chosen), sum(w.goal or 0.0 for w in chosen), len(chosen))


def _add(a: Window, b: Window) -> Window:
    return Window(a.actual + b.actual, a.goal + b.goal, a.weeks + b.weeks)


def _case(
    store: Store,
    rep: Rep,
    metric: str,
    label: str,
    held_on: date,
    meeting: Period,
    everyone: dict[int, Rep],
    alone: set[int],
) -> CoachingCase:
    # Nine weeks: four before, the week of the 1:1 (index 4, left out), four after.
    weeks = [_shift(meeting, k).start for k in range(-WINDOW_WEEKS, WINDOW_WEEKS + 1)]
    by_rep = _weeks_of(store, rep.team, metric, weeks)
    before, after = (0, WINDOW_WEEKS - 1), (WINDOW_WEEKS + 1, 2 * WINDOW_WEEKS)
    team_before = team_after = uncoached_before = uncoached_after = Window(0.0, 0.0, 0)
    teammates = uncoached = 0
    alone_slugs = {everyone[r].slug for r in alone if r in everyone}
    for slug, mine in by_rep.items():
        if slug == rep.slug:
            continue
        # Weeks before a teammate's first activity in the window are not misses: they were not here yet.
        first = next((i for i, w in enumerate(mine) if w.active), None)
        if first is None:
            continue
        was, now = _window(mine, max(first, before[0]), before[1]), _window(mine, max(first, after[0]), after[1])
        teammates += 1
        team_before, team_after = _add(team_before, was), _add(team_after, now)
        if slug in alone_slugs:
            uncoached += 1
            uncoached_before, uncoached_after = _add(uncoached_before, was), _add(uncoached_after, now)
    own = by_rep.get(rep.slug, [])
    return CoachingCase(
        rep=rep,
        metric=metric,
        label=label,
        one_on_one=held_on,
        before=_window(own, *before),
        after=_window(own, *after),
        team_before=team_before,
        team_after=team_after,
        teammates=teammates,
        uncoached_before=uncoached_before,
        uncoached_after=uncoached_after,
        uncoached=uncoached,
    )


def _caution(measured: list[CoachingCase]) -> str:
    """A flagged rep is caught at a low point: how much flagged reps recovered without coaching, when known."""
    plain = (
        " A flagged rep is caught at a low point and tends to recover somewhat anyway, so read a small lead "
        "with caution."
    )
    pairs = [(c.rep_change, c.uncoached_change) for c in measured if c.uncoached]
    known = [(mine, alone) for mine, alone in pairs if mine is not None and alone is not None]
    if not known:
        return plain
    coached = sum(m for m, _ in known) / len(known) * 100
    alone = sum(a for _, a in known) / len(known) * 100
    return (
        f" A flagged rep is caught at a low point and tends to recover somewhat anyway: in {len(known)} of these "
        f"cases, teammates flagged the same day but not coached moved {alone:+.0f} points over the same weeks, "
        f"the coached reps {coached:+.0f}."
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
    caution = _caution(measured)
    if improved * 2 > n and average > 0:
        return (
            f"In {improved} of {n} cases the coached rep's pace rose more than the rest of the team's over the "
            f"same weeks, by {average:+.0f} points on average.{caution}{later}"
        )
    return (
        f"Coached reps did not improve more than the team: only {improved} of {n} cases rose more than the rest of "
        f"the team over the same weeks ({average:+.0f} points on average). Look at what the 1:1s agree on.{later}"
    )
