"""Several processes on one DuckLake at the same moment (docs/scale-out.md, "One writer at a time").

Each worker is its own process with its own Store, as app replicas are; a
barrier releases them together so their writes really overlap.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scorecard.catalog import load_catalog
from scorecard.goals import GoalChange, add_pto, set_goals
from scorecard.ingest import ingest_bytes, undo_batch
from scorecard.links import rotate
from scorecard.localpg import LocalPostgres
from scorecard.store import Store
from tests.factories import database_location
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows, recount, rollups

pytestmark = pytest.mark.slow

ROWS = generic_rows(80)
FOURTH_ROWS = [["Rep 0", f"2026-11-{2 + i % 20:02d} 11:{i:02d}", "Call", "Connected", f"w4-{i}"] for i in range(10)] + [
    ["Rep 3", f"2026-11-{2 + i % 20:02d} 12:{i:02d}", "Meeting", "", f"w4-{10 + i}"] for i in range(10)
]
GOAL_DAY = date(2026, 11, 16)


def _lake(tmp_path: Path, backend: str, postgres: LocalPostgres | None) -> tuple[str, str | None]:
    location, data_path = database_location(tmp_path, "race.duckdb", backend, postgres.dsn if postgres else None)
    Store(location, data_path=data_path).close()  # migrated once, before the race
    return location, None if data_path is None else str(data_path)


def _run(workers: list[tuple[Any, tuple[Any, ...]]], timeout_s: float = 180.0) -> list[Any]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(workers))
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(i, fn, args, barrier, results)) for i, (fn, args) in enumerate(workers)]
    with _main_not_rerun():
        for p in procs:
            p.start()
    out: dict[int, Any] = {}
    deadline = time.monotonic() + timeout_s
    while len(out) < len(workers) and time.monotonic() < deadline:
        try:
            index, value = results.get(timeout=1.0)
        except Exception:
            if any(p.exitcode not in (None, 0) for p in procs):
                break
            continue
        out[index] = value
    for p in procs:
        p.join(10)
        if p.is_alive():
            p.kill()
    errors = [v for v in out.values() if isinstance(v, str) and v.startswith("error:")]
    assert not errors, errors
    assert len(out) == len(workers), f"workers finished: {sorted(out)}; exit codes {[p.exitcode for p in procs]}"
    return [out[i] for i in range(len(workers))]


@contextmanager
def _main_not_rerun() -> Iterator[None]:
    """Spawned workers re-run `__main__`; after Streamlit's page tests that is a page script, which opens a store."""
    main = sys.modules["__main__"]
    saved = main.__dict__.get("__file__"), main.__dict__.get("__spec__")
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        if saved[0] is not None:
            main.__file__ = saved[0]
        main.__spec__ = saved[1]


def _worker(index: int, fn: Any, args: tuple[Any, ...], barrier: Any, results: Any) -> None:
    try:
        results.put((index, fn(barrier, *args)))
    except BaseException as exc:  # reported to the parent, which fails the test with it
        import traceback

        results.put((index, "error: " + "".join(traceback.format_exception(exc))))


def _ingest_files(barrier: Any, location: str, data_path: str | None, files: list[tuple[str, bytes]]) -> list[int]:
    with Store(location, data_path=data_path) as store:
        barrier.wait()
        return [ingest_bytes(store, name, data).rows_added for name, data in files]


def _ingest_then_undo_last(barrier: Any, location: str, data_path: str | None, files: list[tuple[str, bytes]]) -> list[int]:
    with Store(location, data_path=data_path) as store:
        barrier.wait()
        results = [ingest_bytes(store, name, data) for name, data in files]
        undo_batch(store, results[-1].batch_id)
        return [r.rows_added for r in results]


def _edit_goals_and_pto(barrier: Any, location: str, data_path: str | None, rounds: int) -> int:
    with Store(location, data_path=data_path) as store:
        catalog = load_catalog(store)
        barrier.wait()
        for i in range(rounds):
            set_goals(store, catalog, [GoalChange(1, "meetings", float(i), GOAL_DAY), GoalChange(2, "calls", 10.0 * i, GOAL_DAY)])
            add_pto(store, 1, [date(2026, 11, 20), date(2026, 11, 21 + i % 2)])
        return rounds


def _ingest_and_rotate_links(barrier: Any, location: str, data_path: str | None, data: bytes, rounds: int) -> int:
    with Store(location, data_path=data_path) as store:
        barrier.wait()
        added = ingest_bytes(store, "fourth.csv", data).rows_added
        for _ in range(rounds):
            rotate(store, 1)
        return added


def _csv(rows: list[list[Any]]) -> bytes:
    return csv_bytes(GENERIC_HEADER, rows)


def _assert_consistent(store: Store) -> None:
    """No id, key or slug twice, and daily totals that match the events."""
    for table, column in (("events", "event_id"), ("events", "event_key"), ("batches", "batch_id"), ("reps", "rep_id"),
                          ("reps", "slug"), ("reps", "display_name")):
        twice = store.scalar(f"SELECT count(*) FROM (SELECT {column} FROM {table} GROUP BY ALL HAVING count(*) > 1)")
        assert twice == 0, f"{table}.{column} repeats"
    assert store.scalar("SELECT count(*) FROM (SELECT batch_id, event_id FROM batch_events GROUP BY ALL HAVING count(*) > 1)") == 0
    assert rollups(store) == recount(store)


@pytest.mark.parametrize("backend", ["ducklake-postgres", "ducklake-sqlite"])
def test_two_processes_ingesting_overlapping_exports_at_once_store_each_event_once(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    postgres = request.getfixturevalue("postgres") if backend == "ducklake-postgres" else None
    location, data_path = _lake(tmp_path, backend, postgres)
    first = [("a.csv", _csv(ROWS[:50]))]
    second = [("b.csv", _csv(ROWS[20:70]))]
    added = _run([(_ingest_files, (location, data_path, first)), (_ingest_files, (location, data_path, second))])
    assert sum(sum(a) for a in added) == 70
    with Store(location, data_path=data_path) as store:
        assert store.scalar("SELECT count(*) FROM events") == 70
        assert sorted(str(r[0]) for r in store.fetchall("SELECT record_id FROM events")) == sorted(f"g{i}" for i in range(70))
        assert store.scalar("SELECT count(*) FROM reps") == 3
        assert store.scalar("SELECT count(*) FROM batch_events") == 100
        _assert_consistent(store)


def test_four_writers_of_every_kind_at_once_leave_exact_counts(tmp_path: Path, postgres: LocalPostgres) -> None:
    location, data_path = _lake(tmp_path, "ducklake-postgres", postgres)
    with Store(location, data_path=data_path) as store:  # goals and PTO need reps 1 and 2
        ingest_bytes(store, "seed.csv", _csv(ROWS[:2]))
    x, y, z = _csv(ROWS[:40]), _csv(ROWS[20:60]), _csv(ROWS[60:80])
    rounds = 8
    added = _run(
        [
            (_ingest_files, (location, data_path, [("x.csv", x), ("y.csv", y)])),
            (_ingest_then_undo_last, (location, data_path, [("y.csv", y), ("z.csv", z)])),
            (_edit_goals_and_pto, (location, data_path, rounds)),
            (_ingest_and_rotate_links, (location, data_path, _csv(FOURTH_ROWS), rounds)),
        ]
    )
    # Every event of x and y once (the seed's two among them), z's gone with its undo, the fourth file's twenty.
    assert sum(added[0]) + sum(added[1][:1]) == 58 and added[1][1] == 20 and added[3] == 20
    with Store(location, data_path=data_path) as store:
        assert store.scalar("SELECT count(*) FROM events") == 80
        assert store.scalar("SELECT count(*) FROM batches") == 6
        assert store.fetchall("SELECT file_name FROM batches WHERE status = 'undone'") == [("z.csv",)]
        assert sorted(str(r[0]) for r in store.fetchall("SELECT display_name FROM reps")) == ["Rep 0", "Rep 1", "Rep 2", "Rep 3"]
        assert store.fetchall("SELECT rep_id, metric, weekly_goal FROM goals ORDER BY 1") == [
            (1, "meetings", float(rounds - 1)),
            (2, "calls", 10.0 * (rounds - 1)),
        ]
        assert store.scalar("SELECT count(*) FROM pto") == 3
        assert store.scalar("SELECT value FROM meta WHERE key = 'link_version:1'") == str(rounds)
        assert store.scalar("SELECT count(*) FROM meta WHERE key = 'link_version:1'") == 1
        _assert_consistent(store)


def _watch_version(barrier: Any, location: str, data_path: str | None, wait_s: float) -> tuple[int, int, float]:
    with Store(location, data_path=data_path) as store:
        seen = store.data_version()
        barrier.wait()
        new = store.wait_for_change(seen, wait_s)
        return seen, new, time.monotonic()


def _write_after(barrier: Any, location: str, data_path: str | None, pause_s: float) -> tuple[int, float]:
    with Store(location, data_path=data_path) as store:
        barrier.wait()
        time.sleep(pause_s)
        written_at = time.monotonic()
        ingest_bytes(store, "late.csv", _csv(ROWS[:5]))
        return store.data_version(), written_at


def test_another_process_sees_a_write_through_the_data_version_within_five_seconds(
    tmp_path: Path, postgres: LocalPostgres
) -> None:
    location, data_path = _lake(tmp_path, "ducklake-postgres", postgres)
    (seen, new, woke_at), (written, written_at) = _run(
        [(_watch_version, (location, data_path, 20.0)), (_write_after, (location, data_path, 1.0))]
    )
    assert new == written > seen
    assert woke_at - written_at < 5.0
