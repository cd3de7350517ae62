"""The team context: what every score reads once per data version, and a memo for what it derives.

Caches are keyed on the store's data version: any committed write (an upload,
a goal, a setting, a mapping change) makes every cached value unreachable.
Within one version, what cannot move with `as_of` (rollups before as_of's day,
a day's events, goals, finished weeks) is kept, so a live page re-run only
cuts today's events at its as_of and recomputes pace.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import polars as pl

from scorecard.catalog import Catalog, load_catalog
from scorecard.rollups import WEEK_START_KEY
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Store

__all__ = ["Context", "context"]

_MEMO_LIMIT = 4096  # entries; a few per rep viewed, a few per team view
T = TypeVar("T")


@dataclass
class Context:
    """What every score needs, read once per data version.

    `memo` holds derived values for this version only; it is read with `.get`
    (never `in` then `[]`) because another thread may evict an entry in between.
    `setup_memo` holds those built from the setup alone, kept while it does not change.
    """

    version: int
    token: str
    settings: TeamSettings
    catalog: Catalog
    reps: pl.DataFrame  # rep_id, slug, display_name, email, aliases, team, active, is_demo
    goal_rows: pl.DataFrame  # rep_id, metric, weekly_goal, effective_from, source (in effective_from order)
    pto: pl.DataFrame  # rep_id, day
    # Whether the weekly rollups are cut on the team's week-start day (they always
    # are once a settings write has committed; reads fall back to days if not).
    weeks_rolled_up: bool
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    # Values built from the setup alone (settings, catalog, reps, goals, PTO):
    # carried over to the next version when a write leaves all of those exactly
    # as they were, as an upload of activity does.
    setup_memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    @property
    def amount_metrics(self) -> list[str]:
        return [m.key for m in self.catalog.metrics.values() if m.measure == "amount"]

    def remember(self, key: tuple[Any, ...], value: T, *, setup_only: bool = False) -> T:
        """Keep `value` for this data version; the oldest entry goes when the memo is full.

        `setup_only`: the value was built from the setup alone (see `setup_memo`).
        """
        memo = self.setup_memo if setup_only else self.memo
        if len(memo) >= _MEMO_LIMIT:
            with contextlib.suppress(KeyError, StopIteration, RuntimeError):
                del memo[next(iter(memo))]
        memo[key] = value
        return value

    def memoised(self, key: tuple[Any, ...], build: Callable[[], T], *, setup_only: bool = False) -> T:
        """The value kept under `key` for this data version, built (and kept) on first use.

        `setup_only` says `build` reads nothing but the setup: settings, catalog,
        reps, goals and PTO, as held here. Anything read from activity (events,
        rollups) must not say so: it would outlive the write that changed it.
        """
        cached: T | None = (self.setup_memo if setup_only else self.memo).get(key)
        if cached is None:
            cached = self.remember(key, build(), setup_only=setup_only)
        return cached


# Keyed on the Store object (weakly): a restored or rebuilt file gets a new Store,
# so a version number can never be matched against another file's data.
_contexts: weakref.WeakKeyDictionary[Store, Context] = weakref.WeakKeyDictionary()
_contexts_lock = threading.Lock()


_GOALS: dict[str, type[pl.DataType]] = {
    "rep_id": pl.Int32,
    "metric": pl.String,
    "weekly_goal": pl.Float64,
    "effective_from": pl.Date,
    "source": pl.String,
}
_PTO: dict[str, type[pl.DataType]] = {"rep_id": pl.Int32, "day": pl.Date}


def _small_frame(store: Store, sql: str, schema: Mapping[str, type[pl.DataType]]) -> pl.DataFrame:
    """A small table as a frame: built from plain rows, cheaper than Arrow for a few hundred."""
    return pl.DataFrame(store.fetchall(sql), schema=schema, orient="row")


def context(store: Store) -> Context:
    """The team context for the store's current data version (cached)."""
    version = store.data_version()
    cached = _contexts.get(store)
    # The token changes when a restore swaps another file in under the same Store.
    if cached is not None and cached.version == version and cached.token == store.token:
        return cached
    settings = load_settings(store)
    ctx = Context(
        version=version,
        token=store.token,
        settings=settings,
        catalog=load_catalog(store),
        # Sorted here rather than in SQL: cheaper for a thousand rows, same (binary) order.
        reps=store.frame("SELECT rep_id, slug, display_name, email, aliases, team, active, is_demo FROM reps").sort(
            "display_name", "rep_id"
        ),
        # (rep_id, metric, effective_from) is the goals table's key: one row each.
        goal_rows=_small_frame(store, "SELECT rep_id, metric, weekly_goal, effective_from, source FROM goals", _GOALS),
        pto=_small_frame(store, "SELECT rep_id, day FROM pto", _PTO),
        weeks_rolled_up=store.scalar("SELECT value FROM meta WHERE key = ?", [WEEK_START_KEY])
        == str(settings.week_start),
    )
    if cached is not None and cached.token == store.token and _same_setup(cached, ctx):
        # Same frames, so what was built from them is still what they give.
        ctx.reps, ctx.goal_rows, ctx.pto = cached.reps, cached.goal_rows, cached.pto
        ctx.setup_memo = cached.setup_memo
    with _contexts_lock:
        _contexts[store] = ctx
    return ctx


def _same_setup(old: Context, new: Context) -> bool:
    """Whether two versions have exactly the same setup: every value a `setup_only` entry may read."""
    return (
        old.settings == new.settings
        and old.catalog == new.catalog
        and old.weeks_rolled_up == new.weeks_rolled_up
        and old.reps.equals(new.reps)
        and old.goal_rows.equals(new.goal_rows)
        and old.pto.equals(new.pto)
    )
