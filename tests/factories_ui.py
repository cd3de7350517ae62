"""A small, fixed team for page and browser tests: a few weeks of history and a week in progress."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from scorecard.store import Store
from tests.factories import add_activity, add_rep

# Wednesday 14:00 of the week of Mon Nov 16, 2026: the moment the tests look from.
AS_OF = datetime(2026, 11, 18, 14, 0)
WEEK_START = datetime(2026, 11, 16)

# name, team, share of the default weekly goals each rep tends to hit
REPS: tuple[tuple[str, str, float], ...] = (
    ("Ana Lopez", "East", 1.25),
    ("Ben Carter", "East", 0.95),
    ("Chloe Park", "East", 0.55),
    ("Dev Patel", "West", 1.05),
    ("Emma Stone", "West", 0.7),
)
WEEKLY = {"conversations": 8, "meetings": 4, "opportunities": 2, "proposals": 1, "calls": 20}


def _week_events(rng: random.Random, monday: datetime, share: float, days: int) -> list[tuple[datetime, str] | tuple[datetime, str, float]]:
    events: list[tuple[datetime, str] | tuple[datetime, str, float]] = []
    for metric, goal in WEEKLY.items():
        n = max(0, round(goal * share * days / 5 * rng.uniform(0.8, 1.2)))
        for _ in range(n):
            day = rng.randrange(days)
            events.append((monday + timedelta(days=day, hours=9 + rng.randrange(7), minutes=rng.randrange(60)), metric))
    if rng.random() < share / 2:
        events.append((monday + timedelta(days=rng.randrange(days), hours=11), "deals_won", float(rng.randrange(5, 40) * 500)))
    return events


def seed_team(store: Store, *, weeks: int = 6, seed: int = 7) -> dict[str, int]:
    """Reps with `weeks` completed weeks plus Mon–Wed morning of the current week; returns slug → rep_id."""
    rng = random.Random(seed)
    ids: dict[str, int] = {}
    for name, team, share in REPS:
        rep_id = add_rep(store, name, team=team)
        ids[name.lower().replace(" ", "-")] = rep_id
        events: list[tuple[datetime, str] | tuple[datetime, str, float]] = []
        for w in range(weeks, 0, -1):
            events += _week_events(rng, WEEK_START - timedelta(weeks=w), share, 5)
        # The current week up to Wednesday morning (before AS_OF).
        events += [e for e in _week_events(rng, WEEK_START, share, 3) if e[0] < AS_OF - timedelta(hours=1)]
        add_activity(store, rep_id, events)
    return ids


def seed_file(path: Path, *, weeks: int = 6, seed: int = 7) -> dict[str, int]:
    store = Store(path)
    try:
        return seed_team(store, weeks=weeks, seed=seed)
    finally:
        store.close()
