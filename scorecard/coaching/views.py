"""What the coaching parts of the pages show, computed once per data version and shared.

Each function is the core one behind `viewcache.cached`: a page re-run after
nothing changed only lays the view out again.
"""

from __future__ import annotations

from datetime import datetime, time

from scorecard.calendar import period_for
from scorecard.coaching.culture import CoachingCulture, coaching_culture
from scorecard.coaching.impact import CoachingImpact, coaching_impact
from scorecard.coaching.leader import LeaderCard, leader_cards
from scorecard.coaching.pairs import PeerPair, suggest_pairs
from scorecard.coaching.prep import Prep, one_on_one_prep
from scorecard.settings import load_settings
from scorecard.store import Store
from scorecard.viewcache import cached


def prep(store: Store, slug: str, as_of: datetime) -> Prep:
    return cached(store, one_on_one_prep, slug, as_of)


def pairs(store: Store, as_of: datetime, team: str | None) -> list[PeerPair]:
    # Pairs depend only on the week (completed weeks, rotation by week): one entry per week, not per minute.
    week = period_for("week", as_of.date(), cached(store, load_settings)).start
    return cached(store, suggest_pairs, datetime.combine(week, time.min), team=team)


def leaders(store: Store, as_of: datetime, team: str | None) -> list[LeaderCard]:
    return cached(store, leader_cards, as_of, team=team)


def culture(store: Store, as_of: datetime, team: str | None) -> CoachingCulture:
    return cached(store, coaching_culture, as_of, team=team)


def impact(store: Store, as_of: datetime, team: str | None) -> CoachingImpact:
    return cached(store, coaching_impact, as_of, team=team)
