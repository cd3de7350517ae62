"""The store: migrations, transactions, data version, one store per file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from scorecard._schema import MIGRATIONS
from scorecard.store import NotAScorecardDatabase, Store, forget_store, is_scorecard_database, next_ids, open_store


def test_migrations_apply_once_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.data_version() == 0
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.scalar("SELECT count(*) FROM schema_version") == len(MIGRATIONS)
    assert is_scorecard_database(path)


def test_write_commits_bumps_version_and_rolls_back_on_error(store: Store) -> None:
    start = store.data_version()
    with store.write() as cur:
        cur.execute("INSERT INTO reps (rep_id, slug, display_name, aliases) VALUES (?, 'a', 'A', [])", next_ids(cur, "rep_id_seq"))
    assert store.data_version() == start + 1
    with pytest.raises(RuntimeError), store.write() as cur:
        cur.execute("INSERT INTO reps (rep_id, slug, display_name, aliases) VALUES (?, 'b', 'B', [])", next_ids(cur, "rep_id_seq"))
        raise RuntimeError("boom")
    assert store.scalar("SELECT count(*) FROM reps") == 1
    assert store.data_version() == start + 1


def test_read_only_store_refuses_writes_and_foreign_files(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    with Store(path, read_only=True) as ro, pytest.raises(PermissionError), ro.write():
        pass
    foreign = tmp_path / "other.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE x (a INT)")
    con.close()
    with pytest.raises(NotAScorecardDatabase):
        Store(foreign, read_only=True)
    assert not is_scorecard_database(foreign)


def test_open_store_is_one_per_file(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    try:
        assert open_store(path) is open_store(tmp_path / "." / "s.duckdb")
    finally:
        forget_store(path)


def test_frame_returns_polars(store: Store) -> None:
    assert store.frame("SELECT ? AS a", [3]).to_dicts() == [{"a": 3}]
