"""What pages show, computed once per data version and shared by every session.

A value is keyed on (the open store, its data version, the function, its
arguments). A commit moves the version on, so every stale entry becomes
unreachable at once and is dropped the next time anything is stored; nothing
ever hashes a frame. Pages pass the as-of moment to the minute, so a rep's
page is built once per (rep, minute, version) however many tabs show it.

Computation is single-flight: when many sessions ask for the same missing
value at once (every open page after a commit), one computes it and the
others wait for that result instead of racing to repeat the work.
"""

from __future__ import annotations

import atexit
import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from scorecard.store import Store

T = TypeVar("T")

# Room for every open page's view at one version, with margin: an ordinary
# floor has hundreds of reps, each page holding a few entries.
MAX_ENTRIES = 8192

Key = tuple[Hashable, ...]


class _Pending:
    """A value one thread is computing; others wait on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class ViewCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[Key, Any] = OrderedDict()
        self._pending: dict[Key, _Pending] = {}
        self._newest: dict[str, int] = {}  # store token -> newest version seen
        self._lock = threading.Lock()

    @staticmethod
    def _key(token: str, version: int, fn: Callable[..., object], args: tuple[Hashable, ...], kwargs: dict[str, Hashable]) -> Key:
        return (token, version, fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())))

    def get(self, store: Store, fn: Callable[..., T], args: tuple[Hashable, ...], kwargs: dict[str, Hashable]) -> T:
        version = store.data_version()
        key = self._key(store.token, version, fn, args, kwargs)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]
            pending = self._pending.get(key)
            owner = pending is None
            if pending is None:
                pending = self._pending[key] = _Pending()
        if not owner:
            pending.done.wait()
            if pending.error is not None:
                raise pending.error
            return pending.value  # type: ignore[no-any-return]
        try:
            pending.value = fn(store, *args, **kwargs)
        except BaseException as exc:
            pending.error = exc
            raise
        finally:
            with self._lock:
                del self._pending[key]
                if pending.error is None:
                    self._store(key, store.token, version, pending.value)
            pending.done.set()
        return pending.value  # type: ignore[no-any-return]

    def has(self, store: Store, version: int, fn: Callable[..., object], args: tuple[Hashable, ...]) -> bool:
        with self._lock:
            return self._key(store.token, version, fn, args, {}) in self._items

    def put(self, store: Store, version: int, fn: Callable[..., T], args: tuple[Hashable, ...], value: T) -> None:
        """Keep `value` as what `fn(store, *args)` gives at `version`, computed elsewhere (many at once).

        `version` must be read before the value was computed, as `get` does: a
        commit landing meanwhile then only makes the value look older than it is.
        """
        key = self._key(store.token, version, fn, args, {})
        with self._lock:
            if key not in self._items:
                self._store(key, store.token, version, value)

    def _store(self, key: Key, token: str, version: int, value: Any) -> None:
        if version > self._newest.get(token, -1):
            self._newest[token] = version
            self._drop_older(token, version)
        self._items[key] = value
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def _drop_older(self, token: str, version: int) -> None:
        """Free what no page can ask for again: entries two or more versions old.

        The previous version is kept, for a page whose run began before the commit.
        """
        stale = [k for k in self._items if k[0] == token and int(k[1]) < version - 1]  # type: ignore[call-overload]
        for k in stale:
            del self._items[k]

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._newest.clear()


_cache = ViewCache()


@atexit.register
def _release_at_exit() -> None:
    """Views may hold query results that reference a store's connection: free them before the stores close.

    Exit handlers run last-registered first, so this runs before the store's own.
    """
    _cache.clear()
    gc.collect()


def cached(store: Store, fn: Callable[..., T], *args: Hashable, **kwargs: Hashable) -> T:
    """`fn(store, *args, **kwargs)`, computed once per data version and shared."""
    return _cache.get(store, fn, args, kwargs)


def is_cached(store: Store, version: int, fn: Callable[..., object], *args: Hashable) -> bool:
    """Whether `fn(store, *args)` is kept for `version`."""
    return _cache.has(store, version, fn, args)


def seed(store: Store, version: int, fn: Callable[..., T], args: tuple[Hashable, ...], value: T) -> None:
    """Keep `value` as `cached(store, fn, *args)` at `version`: for values built many at once (see `ViewCache.put`)."""
    _cache.put(store, version, fn, args, value)


def cache_size() -> int:
    return len(_cache)
