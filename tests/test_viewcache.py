"""The view cache: one computation per (store, data version, function, arguments), shared."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from scorecard.store import Store, open_store
from scorecard.viewcache import ViewCache


def _bump(store: Store) -> None:
    with store.write() as cur:
        cur.execute("SELECT 1")


def test_same_version_same_arguments_computes_once(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    cache = ViewCache()
    calls: list[int] = []

    def view(_store: Store, n: int) -> int:
        calls.append(n)
        return n * 2

    assert cache.get(store, view, (3,), {}) == 6
    assert cache.get(store, view, (3,), {}) == 6
    assert cache.get(store, view, (4,), {}) == 8
    assert calls == [3, 4]
    _bump(store)
    assert cache.get(store, view, (3,), {}) == 6
    assert calls == [3, 4, 3]


def test_many_sessions_asking_at_once_compute_once(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    cache = ViewCache()
    calls: list[int] = []
    gate = threading.Barrier(20)

    def slow_view(_store: Store) -> str:
        calls.append(1)
        time.sleep(0.2)
        return "page"

    results: list[str] = []

    def ask() -> None:
        gate.wait()
        results.append(cache.get(store, slow_view, (), {}))

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["page"] * 20
    assert calls == [1]


def test_an_error_reaches_every_waiter_and_is_not_cached(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    cache = ViewCache()
    attempts: list[int] = []

    def flaky(_store: Store) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first time fails")
        return 7

    with pytest.raises(ValueError):
        cache.get(store, flaky, (), {})
    assert cache.get(store, flaky, (), {}) == 7
    assert len(attempts) == 2


def test_old_versions_are_dropped_once_a_newer_one_is_stored(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    cache = ViewCache()

    def view(_store: Store, n: int) -> int:
        return n

    for n in range(5):
        cache.get(store, view, (n,), {})
    assert len(cache) == 5
    _bump(store)
    cache.get(store, view, (0,), {})
    assert len(cache) == 6  # the previous version stays for pages mid-run
    _bump(store)
    cache.get(store, view, (0,), {})
    assert len(cache) == 2


def test_a_reopened_store_never_reuses_the_old_files_entries(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    first = Store(path)
    cache = ViewCache()
    cache.get(first, lambda _s: "old file", (), {})
    version = first.data_version()
    first.close()
    second = Store(path)  # same path and version, as after a restore of a same-age backup
    assert second.data_version() == version
    assert cache.get(second, lambda _s: "new file", (), {}) == "new file"
    second.close()


def test_a_value_built_elsewhere_is_served_at_its_version_only(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    cache = ViewCache()
    calls: list[int] = []

    def view(_store: Store, n: int) -> str:
        calls.append(n)
        return f"computed {n}"

    version = store.data_version()
    assert not cache.has(store, version, view, (1,))
    cache.put(store, version, view, (1,), "built with others")
    assert cache.has(store, version, view, (1,))
    assert cache.get(store, view, (1,), {}) == "built with others"
    cache.put(store, version, view, (1,), "built again")  # never replaces what pages may already show
    assert cache.get(store, view, (1,), {}) == "built with others"
    assert calls == []
    _bump(store)
    assert cache.get(store, view, (1,), {}) == "computed 1"  # a newer version is never answered from an older one
    cache.put(store, version, view, (2,), "late and old")
    assert cache.get(store, view, (2,), {}) == "computed 2"
