"""Every write logs what it changed, so readers keep everything else; it must never leave a changed table out.

The store reads each statement of a write for the tables it changes and logs
them in the write's own transaction; the rollups log the first day of
activity they rebuilt. A reader that finds none of its tables in the log keeps
what it built (docs/live-pages.md). Under-reporting would show stale numbers,
so the tests compare the log with the tables whose rows really changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from scorecard.admin import merge_reps, set_label_target
from scorecard.catalog import load_catalog
from scorecard.goals import GoalChange, add_pto, set_goals
from scorecard.ingest import ingest_bytes, undo_batch
from scorecard.rollups import day_events
from scorecard.scores import rep_scorecard
from scorecard.scores._context import context
from scorecard.settings import load_settings, save_settings
from scorecard.store import EVERY_TABLE, Store, changes_after, tables_written
from tests.factories import add_counts, add_rep, database_location
from tests.factories_ingest import csv_bytes
from tests.factories_pace import HEADER
from tests.test_backup import _snapshot
from tests.test_scores_batch import assert_same


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("SELECT * FROM goals WHERE metric = 'update'", set()),
        ("INSERT INTO goals VALUES (1, 'calls', 5, DATE '2026-01-05', 'manual')", {"goals"}),
        ('INSERT OR REPLACE INTO "Reps" (rep_id) VALUES (1)', {"reps"}),
        ("UPDATE meta SET value = '1' WHERE key = 'x'", {"meta"}),
        ("DELETE FROM daily_rollups r USING _touched t WHERE r.rep_id = t.rep_id", {"daily_rollups"}),
        ("CREATE OR REPLACE TEMP TABLE _plan AS SELECT 1", {"_plan"}),
        ("DROP TABLE IF EXISTS _plan", {"_plan"}),
        ("WITH n AS (SELECT 1 AS id) INSERT INTO lake.main.pto SELECT * FROM n", {"pto"}),
        ("INSERT INTO events BY NAME SELECT * FROM parked_events", {"events"}),
        ("INSERT INTO notes SELECT 'please update the goals' -- and delete nothing", {"notes"}),
        # Cannot tell what a procedure changes, nor a write word it cannot place: everything, to be safe.
        ("CALL ducklake_merge_adjacent_files('lake')", {EVERY_TABLE}),
        ("INSERT INTO notes SELECT 1; UPDATE", {"notes", EVERY_TABLE}),
    ],
)
def test_which_tables_a_statement_changes(sql: str, tables: set[str]) -> None:
    assert tables_written(sql) == tables


def _team(store: Store) -> dict[str, int]:
    ana, bo = add_rep(store, "Ana Lopez"), add_rep(store, "Bo Chen", team="East")
    add_counts(store, ana, datetime(2026, 11, 16, 10), {"meetings": 2, "conversations": 3})
    add_counts(store, bo, datetime(2026, 11, 17, 11), {"meetings": 1})
    return {"ana": ana, "bo": bo}


def _upload(store: Store, name: str) -> int:
    row = [name, "2026-11-18 10:30:00", "Meeting", "", "", "", f"chg-{name}"]
    return ingest_bytes(store, f"{name}.csv", csv_bytes(HEADER, [row])).batch_id


WRITES: dict[str, Callable[[Store, dict[str, int]], object]] = {
    "upload for a known rep": lambda s, r: _upload(s, "Ana Lopez"),
    "upload that adds a rep": lambda s, r: _upload(s, "Cy Diaz"),
    "undo": lambda s, r: undo_batch(s, _upload(s, "Bo Chen")),
    "goals": lambda s, r: set_goals(s, load_catalog(s), [GoalChange(r["ana"], "meetings", 9.0, date(2026, 11, 2))]),
    "time off": lambda s, r: add_pto(s, r["bo"], [date(2026, 11, 19)]),
    "settings": lambda s, r: save_settings(s, dataclasses.replace(load_settings(s), week_start=6)),
    "label mapping": lambda s, r: set_label_target(s, "activity", "webinar", "meeting"),
    "merge reps": lambda s, r: merge_reps(s, r["ana"], r["bo"]),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_the_log_names_every_table_a_write_changed(store: Store, name: str) -> None:
    reps = _team(store)
    before, since = _snapshot(store), changes_after(store, 0).last_id
    WRITES[name](store, reps)
    after = _snapshot(store)
    changed = {table for table in after if after[table] != before.get(table)} - {"changes"}
    logged = changes_after(store, since)
    assert changed, "the write changed something"
    assert EVERY_TABLE in logged.tables or changed <= logged.tables, (changed, logged.tables)


def test_a_reader_keeps_the_setup_until_a_write_touches_it(store: Store) -> None:
    reps = _team(store)
    as_of = datetime(2026, 11, 18, 15, 0)
    rep_scorecard(store, "ana-lopez", as_of)
    setup = context(store).reps
    _upload(store, "Ana Lopez")  # activity only: the setup is not read again
    assert context(store).reps is setup
    set_goals(store, load_catalog(store), [GoalChange(reps["ana"], "meetings", 9.0, date(2026, 11, 2))])
    card = rep_scorecard(store, "ana-lopez", as_of)  # the goal is new: read again, and shown
    assert next(m.weekly_goal for m in card.metrics if m.metric == "meetings") == 9.0


def test_what_a_store_knows_of_its_own_writes_is_what_the_log_says(store: Store) -> None:
    reps = _team(store)
    first_version, first_change = store.data_version(), changes_after(store, 0).last_id
    for name, write in WRITES.items():
        version, change = store.data_version(), changes_after(store, 0).last_id
        write(store, reps)
        now = store.data_version()
        assert store.changes_between(version, change, now) == changes_after(store, change), name
        assert store.changes_between(first_version, first_change, now) == changes_after(store, first_change), name


# -- a lake write hands the days it changed to its own readers ------------------------------------------


@pytest.fixture
def lake(tmp_path: Path) -> Iterator[Store]:
    location, data_path = database_location(tmp_path, "handover", backend="ducklake-sqlite")
    with Store(location, data_path=data_path) as s:
        yield s


def _as_read(store: Store, day: date) -> pl.DataFrame:
    return day_events(store, day, day).sort(pl.all())


def test_a_lake_write_hands_over_the_days_it_changed_as_it_left_them(lake: Store) -> None:
    _team(lake)
    rows = [["Ana Lopez", f"2026-11-{d} 1{d % 10}:00:00", "Meeting", "", "", "", f"h-{d}"] for d in (17, 19)]
    ingest_bytes(lake, "two-days.csv", csv_bytes(HEADER, rows))
    handed = lake.days_written(lake.data_version())
    assert sorted(handed) == [date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)]  # the span, all of it
    for day, events in handed.items():
        assert events.sort(pl.all()).equals(_as_read(lake, day)), day
    assert handed[date(2026, 11, 18)].height == 0  # a day between, with nothing on it, is handed over empty
    undo_batch(lake, ingest_bytes(lake, "one.csv", csv_bytes(HEADER, [rows[0][:6] + ["h-undo"]])).batch_id)
    after_undo = lake.days_written(lake.data_version())
    assert after_undo[date(2026, 11, 17)].sort(pl.all()).equals(_as_read(lake, date(2026, 11, 17)))
    assert lake.days_written(lake.data_version() - 1) == {}  # only the newest write's, and only for its version


def test_a_lake_reader_uses_the_handed_days_and_scores_what_a_fresh_process_does(lake: Store) -> None:
    _team(lake)
    as_of = datetime(2026, 11, 18, 15, 0)
    rep_scorecard(lake, "ana-lopez", as_of)
    _upload(lake, "Ana Lopez")
    reads: list[str] = []
    read = lake.frame
    lake.frame = lambda sql, params=None: reads.append(sql) or read(sql, params)  # type: ignore[method-assign]
    card = rep_scorecard(lake, "ana-lopez", as_of)
    assert not [sql for sql in reads if "FROM events" in sql], "the upload's days came from the write, not the lake"
    with Store(lake.backend.spec, data_path=lake.backend.data_path) as fresh:  # as another process reads it
        assert fresh.days_written(fresh.data_version()) == {}
        assert_same(card, rep_scorecard(fresh, "ana-lopez", as_of))


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda s: ingest_bytes(s, "wide.csv", csv_bytes(HEADER, [
            ["Ana Lopez", "2026-11-02 10:00:00", "Meeting", "", "", "", "w-1"],
            ["Ana Lopez", "2026-11-18 10:00:00", "Meeting", "", "", "", "w-2"]])), id="an upload spanning 17 days"),
        pytest.param(lambda s: save_settings(s, dataclasses.replace(load_settings(s), week_start=6)),
                     id="a rebuild of every week"),
    ],
)  # fmt: skip
def test_a_lake_write_hands_over_nothing_it_cannot_bound(lake: Store, write: Callable[[Store], object]) -> None:
    _team(lake)
    write(lake)
    assert lake.days_written(lake.data_version()) == {}


def test_a_file_hands_nothing_over(tmp_path: Path) -> None:
    with Store(tmp_path / "file.duckdb") as file:
        _team(file)
        _upload(file, "Ana Lopez")
        assert file.days_written(file.data_version()) == {}
