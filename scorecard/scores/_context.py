"""The team context: what every score reads once per data version, and a memo for what it derives.

Caches are keyed on the store's data version. Within one version, what cannot
move with `as_of` (rollups before as_of's day, a day's events, goals, finished
weeks) is kept, so a live page re-run only cuts today's events at its as_of and
recomputes pace. Across versions, what a write cannot have changed is kept:
values built from the setup alone while the setup is the same, and values
built from activity before the first day a write changed (docs/live-pages.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import polars as pl

from scorecard.catalog import Catalog, load_catalog
from scorecard.rollups import WEEK_START_KEY
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Changes, Reads, Store, changes_after

__all__ = ["Context", "context", "forget"]

_MEMO_LIMIT = 4096  # entries; a few per rep viewed, a few per team view
T = TypeVar("T")


@dataclass
class Context:
    """What every score needs, read once per data version.

    `memo` holds derived values for this version only; it is read with `.get`
    (never `in` then `[]`) because another thread may evict an entry in between.
    `setup_memo` holds those built from the setup alone, kept while it does not change;
    `activity_memo` those built from the setup and the activity before a day.
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
    # The newest change this version's reads include (store.changes_after).
    change_id: int = 0
    # Values built from the setup and from activity on days before a date, kept
    # with that date: carried over while the setup is the same and no write
    # changed activity before it.
    activity_memo: dict[tuple[Any, ...], tuple[date, Any]] = field(default_factory=dict)
    # The raw events of the days the write that made this version changed, when
    # this process made it and handed them over (store.days_written): read from here, not the lake.
    written_days: Mapping[date, pl.DataFrame] = field(default_factory=dict)

    @property
    def amount_metrics(self) -> list[str]:
        return [m.key for m in self.catalog.metrics.values() if m.measure == "amount"]

    def remember(
        self, key: tuple[Any, ...], value: T, *, setup_only: bool = False, activity_before: date | None = None
    ) -> T:
        """Keep `value` for this data version; the oldest entry goes when the memo is full.

        `setup_only`: the value was built from the setup alone (see `setup_memo`).
        `activity_before`: built from the setup and activity before that day (see `activity_memo`).
        """
        if activity_before is not None:
            _make_room(self.activity_memo)
            self.activity_memo[key] = (activity_before, value)
            return value
        memo = self.setup_memo if setup_only else self.memo
        _make_room(memo)
        memo[key] = value
        return value

    def recall(self, key: tuple[Any, ...], *, setup_only: bool = False, activity: bool = False) -> Any:
        """The value kept under `key` (None: nothing is), from the memo `remember` was told."""
        if activity:
            kept = self.activity_memo.get(key)
            return None if kept is None else kept[1]
        return (self.setup_memo if setup_only else self.memo).get(key)

    def memoised(
        self,
        key: tuple[Any, ...],
        build: Callable[[], T],
        *,
        setup_only: bool = False,
        activity_before: date | None = None,
    ) -> T:
        """The value kept under `key` for this data version, built (and kept) on first use.

        `setup_only` says `build` reads nothing but the setup: settings, catalog,
        reps, goals and PTO, as held here. Anything read from activity (events,
        rollups) must not say so: it would outlive the write that changed it.
        `activity_before` says `build` reads the setup and activity of days
        before that date only; it must cover every day read, or the value would
        outlive a write that changed it.
        """
        cached: T | None = self.recall(key, setup_only=setup_only, activity=activity_before is not None)
        if cached is None:
            cached = self.remember(key, build(), setup_only=setup_only, activity_before=activity_before)
        return cached


def _make_room(memo: dict[tuple[Any, ...], Any]) -> None:
    """Drop the oldest entry when `memo` is full; another thread may be dropping the same one."""
    if len(memo) >= _MEMO_LIMIT:
        with contextlib.suppress(KeyError, StopIteration, RuntimeError):
            del memo[next(iter(memo))]


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


def _small_frame(db: Reads, sql: str, schema: Mapping[str, type[pl.DataType]]) -> pl.DataFrame:
    """A small table as a frame: built from plain rows, cheaper than Arrow for a few hundred."""
    return pl.DataFrame(db.fetchall(sql), schema=schema, orient="row")


def context(store: Store) -> Context:
    """The team context for the store's current data version (cached)."""
    version = store.data_version()
    cached = _contexts.get(store)
    # The token changes when a restore swaps another file in under the same Store.
    if cached is not None and cached.version == version and cached.token == store.token:
        return cached
    if cached is not None and cached.token == store.token:
        changes = store.changes_between(cached.version, cached.change_id, version)
        if not changes.touch(SETUP_TABLES):
            ctx = _next_version(cached, version, changes)  # nothing the setup is read from was written
        else:
            ctx = _reread(store, version, cached)
    else:
        ctx = _reread(store, version, None)
    ctx.written_days = store.days_written(version)
    with _contexts_lock:
        _contexts[store] = ctx
    return ctx


# The tables `_read_setup` reads. Not meta: the one row it reads there (the weekly
# rollups' week start) changes only in the write that saves the settings.
SETUP_TABLES = frozenset({"settings", "label_map", "reps", "goals", "pto"})


def _next_version(cached: Context, version: int, changes: Changes) -> Context:
    """The next version's context when no write since `cached` touched the setup."""
    return dataclasses.replace(
        cached,
        version=version,
        memo={},
        change_id=changes.last_id,
        activity_memo=_still_true(cached.activity_memo, changes),
    )


def _reread(store: Store, version: int, cached: Context | None) -> Context:
    """The setup read afresh; what was built from it is kept when it reads the same."""
    # One read transaction: the setup and the changes as of one state, and on a lake
    # one snapshot lookup instead of one per table.
    with store.reading() as db:
        ctx = _read_setup(db, version, store.token)
        changes = changes_after(db, cached.change_id if cached is not None else 0)
    ctx.change_id = changes.last_id
    if cached is not None and _same_setup(cached, ctx):
        # Same frames, so what was built from them is still what they give.
        ctx.reps, ctx.goal_rows, ctx.pto = cached.reps, cached.goal_rows, cached.pto
        ctx.setup_memo = cached.setup_memo
        ctx.activity_memo = _still_true(cached.activity_memo, changes)
    return ctx


def _read_setup(db: Reads, version: int, token: str) -> Context:
    settings = load_settings(db)
    return Context(
        version=version,
        token=token,
        settings=settings,
        catalog=load_catalog(db),
        # Sorted here rather than in SQL: cheaper for a thousand rows, same (binary) order.
        reps=db.frame("SELECT rep_id, slug, display_name, email, aliases, team, active, is_demo FROM reps").sort(
            "display_name", "rep_id"
        ),
        # (rep_id, metric, effective_from) is the goals table's key: one row each.
        goal_rows=_small_frame(db, "SELECT rep_id, metric, weekly_goal, effective_from, source FROM goals", _GOALS),
        pto=_small_frame(db, "SELECT rep_id, day FROM pto", _PTO),
        weeks_rolled_up=db.scalar("SELECT value FROM meta WHERE key = ?", [WEEK_START_KEY]) == str(settings.week_start),
    )


def forget(store: Store) -> None:
    """Drop everything memoised for `store`: the next read computes from the data alone."""
    with _contexts_lock:
        _contexts.pop(store, None)


def _still_true(
    memo: dict[tuple[Any, ...], tuple[date, Any]], changes: Changes
) -> dict[tuple[Any, ...], tuple[date, Any]]:
    """The entries of `memo` that read only days before the first one `changes` touched."""
    if not changes.activity:
        return memo
    first = changes.from_day
    if first is None:
        return {}
    return {key: kept for key, kept in list(memo.items()) if kept[0] <= first}


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
