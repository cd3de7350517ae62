"""Are commitments kept? Each one is judged by the scorecard itself once its week is over.

A commitment names a metric, a target for a full working week, and a week.
Its `actual` is the rep's scorecard for that metric as of the last second of
that week: the very number `report --rep SLUG --as-of <end of week> --json`
gives. The target is prorated to the rep's working time that week exactly as
a goal is (holidays and PTO carry proportionally less), so a week with two
days of PTO asks for three fifths of it.

A commitment can be judged once its week is over and the team's uploaded data
reaches the week's last working day; until then it is pending ("not checkable yet").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from scorecard import scores
from scorecard.calendar import Period, team_working_days
from scorecard.catalog import load_catalog
from scorecard.coaching.log import Commitment, commitments, reps_with_commitments, week_containing
from scorecard.roster import Rep
from scorecard.settings import load_settings
from scorecard.store import Store
from scorecard.viewcache import cached

Status = Literal["kept", "missed", "pending"]
RECENT_WEEKS = 4  # a rep's own page shows commitments from this many weeks back on
EPSILON = 1e-9  # float noise: 6.000000001 of a prorated 6 is kept


@dataclass(frozen=True)
class CommitmentReview:
    commitment: Commitment
    label: str  # the metric's label
    unit: str
    week: Period
    target_for_week: float | None  # prorated to the rep's working time that week
    actual: float | None  # as of the end of the week (so far, while pending)
    status: Status
    reason: str  # the judgement in plain words


@dataclass(frozen=True)
class RepCommitment:
    """What a rep sees of a commitment on their own page: never the notes."""

    metric: str
    label: str
    week_start: date
    target: float
    target_for_week: float | None
    actual: float | None
    status: Status
    text: str


def week_end(week: Period) -> datetime:
    """The last second of the week: what `--as-of <the week's last day>` means."""
    return datetime.combine(week.end, time(23, 59, 59))


def data_through(store: Store, team: str) -> datetime | None:
    """The latest activity uploaded for `team`, per data version (teams may upload on different days)."""
    return cached(store, _data_through, team)


def _data_through(store: Store, team: str) -> datetime | None:
    value = store.scalar(
        "SELECT max(occurred_at) FROM events WHERE rep_id IN (SELECT rep_id FROM reps WHERE team = ?)", [team]
    )
    return value if isinstance(value, datetime) else None


def _short(day: date) -> str:
    return f"{day:%a %b} {day.day}"


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _scorecard(store: Store, slug: str, as_of: datetime) -> scores.RepScorecard:
    # The same cache entry the rep's page and the team views use for that moment.
    return cached(store, scores.rep_scorecard, slug, as_of)


def _metric(sc: scores.RepScorecard, metric: str) -> scores.MetricScore | None:
    return next((m for m in sc.metrics if m.metric == metric), None)


def review_one(store: Store, rep: Rep, c: Commitment, as_of: datetime) -> CommitmentReview:
    """Judge one commitment as of `as_of`."""
    settings = load_settings(store)
    week = Period("week", c.week_start, c.week_start + timedelta(days=6))
    metric = load_catalog(store).metrics[c.metric]
    label, unit = metric.label, metric.unit

    def result(target: float | None, actual: float | None, status: Status, reason: str) -> CommitmentReview:
        return CommitmentReview(c, label, unit, week, target, actual, status, reason)

    end = week_end(week)
    if as_of < datetime.combine(week.start, time.min):
        return result(None, None, "pending", f"The week of {_short(week.start)} has not started yet.")
    sc = _scorecard(store, rep.slug, min(as_of, end))
    score = _metric(sc, c.metric)
    actual = score.actual if score is not None else 0.0
    scale = sc.working_time.goal_scale
    target = c.target * scale
    if sc.working_time.available_hours <= 0:
        return result(0.0, actual, "pending", "Not checkable: on PTO or holiday all week, so nothing was expected.")
    if as_of < end:
        return result(target, actual, "pending", f"Not checkable yet: the week ends {_short(week.end)}. So far {_number(actual)}.")
    working = team_working_days(week, settings)
    needed = working[-1] if working else week.end
    through = data_through(store, rep.team)
    if through is None or through.date() < needed:
        return result(target, actual, "pending", f"Not checkable yet: waiting for the data through {_short(needed)}.")
    prorated = "" if abs(scale - 1) < EPSILON else f" (prorated from {_number(c.target)} for the working time)"
    if actual >= target - EPSILON:
        return result(target, actual, "kept", f"Kept: {_number(actual)} against {_number(target)}{prorated}.")
    return result(target, actual, "missed", f"Missed: {_number(actual)} against {_number(target)}{prorated}.")


def review(store: Store, rep: Rep, as_of: datetime) -> list[CommitmentReview]:
    """Every commitment of `rep` made by `as_of`, judged as of `as_of`."""
    return [review_one(store, rep, c, as_of) for c in commitments(store, rep.rep_id, as_of.date())]


def rep_commitments(store: Store, rep: Rep, as_of: datetime) -> list[RepCommitment]:
    """A rep's recent and coming commitments for their own page: status and numbers, no notes.

    Cached per (rep, moment, data version); a rep without commitments reads nothing.
    """
    if rep.rep_id not in cached(store, reps_with_commitments):
        return []
    return cached(store, _rep_commitments, rep, as_of)


def _rep_commitments(store: Store, rep: Rep, as_of: datetime) -> list[RepCommitment]:
    settings = load_settings(store)
    first = week_containing(as_of.date() - timedelta(weeks=RECENT_WEEKS), settings).start
    shown = [c for c in commitments(store, rep.rep_id, as_of.date()) if c.week_start >= first]
    return [_for_rep(review_one(store, rep, c, as_of)) for c in shown]


def _for_rep(r: CommitmentReview) -> RepCommitment:
    c = r.commitment
    word = {"kept": "Kept", "missed": "Missed", "pending": "Not checkable yet"}[r.status]
    head = f"{_number(c.target)} {r.unit} in the week of {_short(r.week.start)}"
    if r.status == "pending":
        text = f"{head} · {r.reason}"
    else:
        text = f"{head} · {word}: {_number(r.actual or 0.0)} of {_number(r.target_for_week or 0.0)}"
    return RepCommitment(c.metric, r.label, c.week_start, c.target, r.target_for_week, r.actual, r.status, text)
