"""The team's data is never readable by other accounts: database, WAL, backups, secrets."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb

from scorecard.backup import backup_to_file
from scorecard.store import Store
from tests.factories import add_counts, add_rep


def _mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


def test_database_and_wal_are_created_owner_only(tmp_path: Path) -> None:
    os.umask(0o022)  # the usual default, which DuckDB would otherwise pass on as 0644
    db = tmp_path / "data" / "scorecard.duckdb"
    with Store(db) as store:
        assert _mode(db) == 0o600
        with store.write() as cur:
            cur.execute("INSERT INTO settings VALUES ('x', '1')")
        wal = db.with_name(db.name + ".wal")
        assert wal.exists() and _mode(wal) == 0o600
        store.fetchall("CHECKPOINT")  # DuckDB deletes the log here and makes a new one at the next write
        add_counts(store, add_rep(store, "Ann"), datetime(2026, 3, 2, 10), {"meetings": 1})
        assert wal.exists() and _mode(wal) == 0o600
        copy = backup_to_file(store, tmp_path / "copies" / "b.duckdb")
        assert _mode(copy) == 0o600


def test_an_old_world_readable_database_is_tightened_on_open(tmp_path: Path) -> None:
    os.umask(0o022)
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))  # as an older version made it: 0644
    con.close()
    os.chmod(db, 0o644)
    with Store(db):
        assert _mode(db) == 0o600
