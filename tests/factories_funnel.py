"""A small team with known funnel history, for derivation tests.

All history sits on one Wednesday inside the 13 completed weeks before
AS_OF (as daily rollups), plus real events in the current week and before
the window that the rates must ignore.
"""

from __future__ import annotations

from datetime import date, datetime

from scorecard.goals import QuotaChange, set_quotas
from scorecard.store import Store
from tests.factories import add_activity, add_counts, add_rep

AS_OF = datetime(2026, 11, 18, 12, 0)  # a Wednesday; the week starts Monday 2026-11-16
WEEK_START = date(2026, 11, 16)
IN_WINDOW = datetime(2026, 10, 14, 10, 0)
BEFORE_WINDOW = datetime(2026, 8, 10, 10, 0)  # the window starts 2026-08-17
THIS_WEEK = datetime(2026, 11, 17, 10, 0)


def add_rollups(store: Store, rep_id: int, day: date, counts: dict[str, int | tuple[int, float]]) -> None:
    """Daily rollups written directly: the funnel reads only rollups, and hundreds of events would be slow to add."""
    with store.write() as cur:
        for metric, value in counts.items():
            n, amount = value if isinstance(value, tuple) else (value, 0.0)
            cur.execute("INSERT INTO daily_rollups VALUES (?, ?, ?, ?, ?)", [rep_id, day, metric, n, amount])


def funnel_team(store: Store) -> dict[str, int]:
    """Veteran (long history), Other (different rates), Zero (no wins), New (no history)."""
    ids = {
        "veteran": add_rep(store, "Vera Long", email="vera@example.com"),
        "other": add_rep(store, "Omar Other"),
        "zero": add_rep(store, "Zed Zero"),
        "new": add_rep(store, "Nina New"),
    }
    add_rollups(store, ids["veteran"], IN_WINDOW.date(), {"conversations": 400, "meetings": 160, "opportunities": 80, "proposals": 40})
    add_rollups(store, ids["veteran"], IN_WINDOW.date(), {"deals_won": 20, "revenue_won": (20, 100_000.0)})
    add_rollups(store, ids["other"], IN_WINDOW.date(), {"conversations": 400, "meetings": 80, "opportunities": 40, "proposals": 32})
    add_rollups(store, ids["other"], IN_WINDOW.date(), {"deals_won": 8, "revenue_won": (8, 120_000.0)})
    add_rollups(store, ids["zero"], IN_WINDOW.date(), {"conversations": 40, "meetings": 10, "opportunities": 5, "proposals": 4})
    # Outside the window: must not move any rate.
    add_activity(store, ids["veteran"], [(BEFORE_WINDOW, "deals_won", 1_000_000.0), (THIS_WEEK, "deals_won", 1_000_000.0)])
    add_counts(store, ids["new"], THIS_WEEK, {"conversations": 3, "meetings": 3})
    set_quotas(
        store,
        [
            QuotaChange(ids["veteran"], 40_000, "month", date(2026, 1, 1)),
            QuotaChange(ids["other"], 90_000, "quarter", date(2026, 1, 1)),
            QuotaChange(ids["zero"], 20_000, "month", date(2026, 1, 1)),
            QuotaChange(ids["new"], 30_000, "month", date(2026, 1, 1)),
        ],
    )
    return ids
