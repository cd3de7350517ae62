"""Backup is a consistent copy; restore refuses anything but a scorecard database."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scorecard._schema import MIGRATIONS
from scorecard.admin import update_settings
from scorecard.backup import RestoreRefused, backup_bytes, backup_file_name, restore
from scorecard.catalog import load_catalog
from scorecard.goals import GoalChange, set_goals
from scorecard.store import Store, forget_store, open_store
from tests.factories import add_activity, add_counts, add_rep

NOW = datetime(2026, 3, 6, 15, 30, tzinfo=UTC)
MON = datetime(2026, 3, 2, 10)


def _snapshot(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order; not the write log (the data version and `changes`),
    which grows with every write, the restore's own included."""
    tables = [t for (t,) in store.fetchall("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")]
    snap = {table: store.fetchall(f'SELECT * FROM "{table}" ORDER BY ALL') for table in tables if table != "changes"}
    snap["meta"] = [row for row in snap["meta"] if row[0] != "data_version"]
    return snap


def _populate(store: Store) -> None:
    ann, bob = add_rep(store, "Ann", email="ann@acme.com"), add_rep(store, "Bob")
    add_counts(store, ann, MON, {"meetings": 3, "conversations": 5})
    add_activity(store, bob, [(MON, "deals_won", 1200.5)])
    set_goals(store, load_catalog(store), [GoalChange(ann, "meetings", 6, date(2026, 3, 2))])
    with store.write() as cur:
        cur.execute("INSERT INTO pto VALUES (?, ?)", [bob, date(2026, 3, 4)])
        cur.execute("INSERT INTO label_map VALUES ('activity', 'zoom', 'meeting')")
    update_settings(store, {"timezone": "Europe/Madrid"})


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data" / "scorecard.duckdb"
    _populate(open_store(path))
    yield path
    forget_store(path)


def test_backup_restores_to_an_identical_state(live: Path) -> None:
    store = open_store(live)
    before = _snapshot(store)
    data = backup_bytes(store)

    # Change everything a restore must undo.
    with store.write() as cur:
        cur.execute("DELETE FROM events")
        cur.execute("DELETE FROM daily_rollups")
        cur.execute("UPDATE reps SET display_name = 'Changed'")
    version_before_restore = store.data_version()
    result = restore(live, data, now_utc=NOW)

    restored = open_store(live)
    # The same store object, reopened on the restored file: whoever holds it (the inbox watcher) writes there.
    assert restored is store and not store.closed
    assert _snapshot(restored) == before
    assert (result.reps, result.events) == (2, 9)
    assert result.schema_version == len(MIGRATIONS)
    # Pages cache on the data version: it only ever moves forward.
    assert restored.data_version() > version_before_restore
    # The replaced file was kept, and it is the changed state.
    assert result.previous_copy is not None and result.previous_copy.parent == live.parent / "backups"
    assert result.previous_copy.name == "20260306-153000Z.duckdb"
    with Store(result.previous_copy, read_only=True) as kept:
        assert kept.scalar("SELECT count(*) FROM events") == 0
    # New rows still get fresh ids after the restore.
    assert add_rep(restored, "Cleo") > 2


def test_backup_is_a_consistent_snapshot_and_leaves_the_live_db_alone(live: Path, tmp_path: Path) -> None:
    store = open_store(live)
    before = _snapshot(store)
    data = backup_bytes(store)
    assert _snapshot(store) == before
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(data)
    with Store(copy, read_only=True) as opened:
        assert _snapshot(opened) == before
    # Attached copies are gone again.
    assert store.fetchall("SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'scorecard_backup_%'") == []
    assert backup_file_name(NOW) == "scorecard-backup-20260306-153000Z.duckdb"


def _empty_duckdb(tmp_path: Path) -> bytes:
    """A valid DuckDB file with none of our tables."""
    path = tmp_path / "empty.duckdb"
    with Store(path) as s:
        tables = [t for (t,) in s.fetchall("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")]
        with s.write() as cur:
            for table in tables:
                if table not in ("meta", "changes"):  # what every commit writes, the drop's own included
                    cur.execute(f'DROP TABLE "{table}" CASCADE')
    return path.read_bytes()


def _foreign_duckdb(tmp_path: Path) -> bytes:
    path = tmp_path / "foreign.duckdb"
    with Store(path) as s, s.write() as cur:
        cur.execute("DROP TABLE events")
    return path.read_bytes()


def _newer_schema(tmp_path: Path) -> bytes:
    path = tmp_path / "newer.duckdb"
    with Store(path) as s, s.write() as cur:
        cur.execute("INSERT INTO schema_version VALUES (?, current_timestamp::TIMESTAMP)", [len(MIGRATIONS) + 1])
    return path.read_bytes()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda tmp: random.Random(7).randbytes(40_000), "not a DuckDB file"),
        (lambda tmp: b"rep,date,type\nAnn,2026-03-02,Call\n", "not a DuckDB file"),
        (lambda tmp: b"", "empty"),
        (_empty_duckdb, "not a Team Scorecard backup"),
        (_foreign_duckdb, "not a Team Scorecard backup"),
        (_newer_schema, "newer version"),
    ],
    ids=["random-bytes", "csv", "zero-bytes", "empty-duckdb", "duckdb-missing-tables", "newer-schema"],
)
def test_restore_refuses_what_is_not_a_scorecard_database(live: Path, tmp_path: Path, make, says: str) -> None:  # type: ignore[no-untyped-def]
    store = open_store(live)
    before = _snapshot(store)
    version = store.data_version()
    payload = make(tmp_path)
    with pytest.raises(RestoreRefused, match=says):
        restore(live, payload, now_utc=NOW)
    assert open_store(live) is store  # never closed
    assert _snapshot(store) == before and store.data_version() == version
    assert not (live.parent / "backups").exists()
    assert {p.name for p in live.parent.iterdir()} - {"scorecard.duckdb.wal"} == {"scorecard.duckdb"}


def test_restore_into_a_fresh_location(tmp_path: Path, live: Path) -> None:
    data = backup_bytes(open_store(live))
    target = tmp_path / "elsewhere" / "scorecard.duckdb"
    try:
        result = restore(target, data, now_utc=NOW)
        assert result.previous_copy is None
        assert open_store(target).scalar("SELECT count(*) FROM reps") == 2
    finally:
        forget_store(target)
