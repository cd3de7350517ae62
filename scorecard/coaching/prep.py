"""1:1 prep: one page per rep with everything a manager needs before sitting down with them.

The rep's lead measures week by week against goal, their conversion ratios
against the rest of the team (marked only where the difference is larger than
chance), their open flags with the four questions, their tier, the one thing,
and the commitments from the last 1:1 with whether each was kept. Every number
comes from the scorecards and the team view, so it matches what the rep sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from scorecard import scores
from scorecard.coaching.commitments import CommitmentReview, review
from scorecard.coaching.evidence import RatioEvidence, rep_ratios
from scorecard.coaching.log import OneOnOne, managers, one_on_ones, people
from scorecard.roster import Rep
from scorecard.store import Store
from scorecard.viewcache import cached

LOG_SHOWN = 10  # 1:1s listed in the coaching log on the prep page


@dataclass(frozen=True)
class LeadWeeks:
    """One lead measure over the weeks shown: (actual, goal) per week, None where there is no cell."""

    metric: str
    label: str
    cells: tuple[tuple[float, float | None] | None, ...]


@dataclass(frozen=True)
class LoggedOneOnOne:
    meeting: OneOnOne
    commitments: list[CommitmentReview]


@dataclass(frozen=True)
class Prep:
    rep: Rep
    manager: Rep | None
    as_of: datetime
    scorecard: scores.RepScorecard
    weeks: tuple[date, ...]  # oldest first; the last one is the week of as_of (to date)
    lead: list[LeadWeeks]
    ratios: list[RatioEvidence]
    flags: list[scores.RedFlag]
    questions: tuple[str, ...]  # the questions the open flags ask, once each
    tier: str | None  # autopilot | watch | coach, None without enough recent weeks
    last_one_on_one: OneOnOne | None
    since_last: list[CommitmentReview]  # made in the last 1:1, or recorded on their own since
    log: list[LoggedOneOnOne]  # the coaching log, newest first


def one_on_one_prep(store: Store, slug: str, as_of: datetime) -> Prep:
    """The 1:1 prep page of the rep `slug` as of `as_of`; raises scores.UnknownRep."""
    sc = cached(store, scores.rep_scorecard, slug, as_of)
    everyone = people(store)
    rep = everyone[sc.rep.rep_id]
    boss = managers(store).get(rep.rep_id)
    view = cached(store, scores.team_view, as_of, team=rep.team)
    reviews = review(store, rep, as_of)
    meetings = one_on_ones(store, as_of.date(), rep.rep_id)
    last = meetings[0] if meetings else None
    flags = [f for f in view.flags if f.rep.rep_id == rep.rep_id]
    return Prep(
        rep=rep,
        manager=everyone.get(boss) if boss is not None else None,
        as_of=as_of,
        scorecard=sc,
        weeks=_weeks(sc),
        lead=_lead(sc),
        ratios=rep_ratios(store, rep, as_of),
        flags=flags,
        questions=tuple(dict.fromkeys(q for f in flags for q in f.questions)),
        tier=next((tier for tier, members in view.tiers.items() if any(m.rep_id == rep.rep_id for m in members)), None),
        last_one_on_one=last,
        since_last=_since(reviews, last),
        log=[
            LoggedOneOnOne(m, [r for r in reviews if r.commitment.one_on_one_id == m.one_on_one_id])
            for m in meetings[:LOG_SHOWN]
        ],
    )


def _weeks(sc: scores.RepScorecard) -> tuple[date, ...]:
    return tuple(sorted(set(sc.weekly_trend.get_column("week_start").to_list()) | {sc.period.start}))


def _lead(sc: scores.RepScorecard) -> list[LeadWeeks]:
    """Lead measures with a goal in the weeks shown (never a vanity count), in scorecard order.

    Weeks before the rep's first recorded activity in the window are left empty:
    the rep was not here yet (or that history was never uploaded), so they are not misses.
    """
    weeks = _weeks(sc)
    trend = sc.weekly_trend
    active = [w for w, actual in trend.select("week_start", "actual").iter_rows() if actual > 0]
    first = min(active, default=weeks[-1])
    cells = {
        (metric, week): (float(actual), None if goal is None else float(goal))
        for week, metric, actual, goal in trend.select("week_start", "metric", "actual", "goal").iter_rows()
        if week >= first
    }
    rows = []
    for m in sc.metrics:
        if m.kind != "lead":
            continue
        mine = tuple(cells.get((m.metric, w)) for w in weeks)
        if any(cell is not None and cell[1] for cell in mine):
            rows.append(LeadWeeks(m.metric, m.label, mine))
    return rows


def _since(reviews: list[CommitmentReview], last: OneOnOne | None) -> list[CommitmentReview]:
    if last is None:
        return [r for r in reviews if r.commitment.one_on_one_id is None]
    return [
        r
        for r in reviews
        if r.commitment.one_on_one_id == last.one_on_one_id
        or (r.commitment.one_on_one_id is None and r.commitment.made_on >= last.held_on)
    ]
