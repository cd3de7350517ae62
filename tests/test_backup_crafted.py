"""Restore cannot be turned against us: crafted backups are refused with nothing written."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from scorecard.backup import UPLOAD, RestoreRefused, _locked_down, backup_bytes, restore
from scorecard.store import Store, forget_store, open_store
from tests.factories import add_counts, add_rep
from tests.test_backup import _snapshot

NOW = datetime(2026, 3, 6, 15, 30, tzinfo=UTC)
SECRET_FILE_TEXT = "manager-passcode-that-must-not-leak"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data" / "scorecard.duckdb"
    store = open_store(path)
    ann = add_rep(store, "Ann")
    add_counts(store, ann, datetime(2026, 3, 2, 10), {"meetings": 2})
    (path.parent / ".manager_passcode").write_text(SECRET_FILE_TEXT + "\n")
    yield path
    forget_store(path)


def _crafted(tmp_path: Path, live: Path, *statements: str) -> bytes:
    """A genuine backup of `live`, then changed by `statements` the way an attacker would."""
    path = tmp_path / "crafted.duckdb"
    path.write_bytes(backup_bytes(open_store(live)))
    con = duckdb.connect(str(path))
    try:
        for statement in statements:
            con.execute(statement.replace("{dir}", str(tmp_path)).replace("{live_dir}", str(live.parent)))
    finally:
        con.close()
    return path.read_bytes()


REPS_COLUMNS = (
    "1::INTEGER AS rep_id, {text} AS slug, {text} AS display_name, NULL::VARCHAR AS email, []::VARCHAR[] AS aliases, "
    "'Sales' AS team, TRUE AS active, FALSE AS is_demo, current_timestamp::TIMESTAMP AS created_at"
)


def _other_db(tmp_path: Path) -> str:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE loot AS SELECT 'from another database' AS secret")
    con.close()
    return str(other)


CASES: dict[str, tuple[list[str], str]] = {
    "view-over-read-text-environ": (
        ["DROP TABLE reps", "CREATE VIEW reps AS SELECT " + REPS_COLUMNS.format(text="content") + " FROM read_text('/proc/self/environ')"],
        "views",
    ),
    "view-over-the-passcode-file": (
        [
            "DROP TABLE reps",
            "CREATE VIEW reps AS SELECT " + REPS_COLUMNS.format(text="content") + " FROM read_text('{live_dir}/.manager_passcode')",
        ],
        "views",
    ),
    "macro-shadowing-a-built-in": (["CREATE MACRO lower(x) AS 'same'", "CREATE MACRO md5(x) AS '0'"], "macros"),
    "table-macro": (["CREATE MACRO loot() AS TABLE SELECT 1 AS x"], "macros"),
    "extra-table": (["CREATE TABLE stolen (x VARCHAR)"], "extra tables"),
    "extra-schema": (["CREATE SCHEMA side", "CREATE TABLE side.reps (x VARCHAR)"], "extra schemas"),
    "extra-sequence": (["CREATE SEQUENCE spare_seq"], "extra sequences"),
    "computed-column": (
        # Same names and types as ours: only the generated flag tells it apart.
        ["DROP TABLE meta", "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR GENERATED ALWAYS AS (upper(key)))"],
        "computed columns",
    ),
    "column-of-another-type": (["ALTER TABLE settings ALTER value TYPE BLOB"], "columns"),
    "custom-type": (["CREATE TYPE mood AS ENUM ('ok')"], "custom types"),
    "index": (["CREATE INDEX by_name ON reps (display_name)"], "indexes"),
    "view-over-an-attached-database": (
        ["ATTACH '{dir}/other.duckdb' AS other", "CREATE VIEW loot AS SELECT * FROM other.main.loot", "DETACH other"],
        "views",
    ),
    "view-over-secrets": (["CREATE VIEW creds AS SELECT * FROM duckdb_secrets()"], "views"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_crafted_backup_is_refused_and_nothing_is_written(live: Path, tmp_path: Path, case: str) -> None:
    statements, says = CASES[case]
    _other_db(tmp_path)
    payload = _crafted(tmp_path, live, *statements)
    store = open_store(live)
    before, version = _snapshot(store), store.data_version()
    files_before = sorted(p.name for p in live.parent.iterdir())

    with pytest.raises(RestoreRefused, match=says) as refused:
        restore(live, payload, now_utc=NOW)

    assert SECRET_FILE_TEXT not in str(refused.value) and "PATH=" not in str(refused.value)
    assert open_store(live) is store and not store.closed
    assert _snapshot(store) == before and store.data_version() == version
    # No kept copy, no leftover temporary folder: nothing was written beside the live file.
    assert sorted(p.name for p in live.parent.iterdir()) == files_before
    assert not (live.parent / "backups").exists()


def test_the_inspecting_connection_reads_the_upload_and_nothing_else(live: Path, tmp_path: Path) -> None:
    upload = tmp_path / "upload.duckdb"
    upload.write_bytes(backup_bytes(open_store(live)))
    other = _other_db(tmp_path)
    con = _locked_down(tmp_path / "fresh.duckdb", upload)
    try:
        assert con.execute(f"SELECT count(*) FROM {UPLOAD}.main.reps").fetchone() == (1,)
        attempts: list[Callable[[], object]] = [
            lambda: con.execute("SELECT * FROM read_text('/proc/self/environ')").fetchall(),
            lambda: con.execute("SELECT * FROM read_text(?)", [str(live.parent / ".manager_passcode")]).fetchall(),
            lambda: con.execute("SELECT * FROM read_csv(?)", [str(live)]).fetchall(),
            lambda: con.execute(f"ATTACH '{other}' AS other"),
            lambda: con.execute("SELECT * FROM duckdb_secrets()").fetchall(),
            lambda: con.execute("COPY (SELECT 1) TO ?", [str(tmp_path / "out.csv")]),
            lambda: con.execute("SET enable_external_access = true"),
            lambda: con.execute("RESET lock_configuration"),
        ]
        for attempt in attempts:
            with pytest.raises(duckdb.Error):
                attempt()
        assert not (tmp_path / "out.csv").exists()
    finally:
        con.close()


def test_ids_carry_on_after_a_restore(live: Path, tmp_path: Path) -> None:
    store = open_store(live)
    for name in ("Bob", "Cleo", "Dan"):
        add_rep(store, name)
    with store.write() as cur:
        cur.execute("DELETE FROM reps WHERE display_name = 'Dan'")  # the sequence is past the highest id now
    data = backup_bytes(store)
    restore(live, data, now_utc=NOW)
    assert add_rep(store, "Eve") == 5
    events_before = store.scalar("SELECT max(event_id) FROM events")
    add_counts(store, 1, datetime(2026, 3, 3, 10), {"meetings": 1})
    assert store.scalar("SELECT max(event_id) FROM events") > events_before


def test_an_older_backup_is_migrated_on_restore(live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backup at an older schema version is rebuilt at that version, then brought up to date by our migrations."""
    from scorecard import _schema, backup
    from scorecard import store as store_module

    extra = ["CREATE TABLE later_table (x INTEGER)", "INSERT INTO later_table VALUES (42)"]
    data = backup_bytes(open_store(live))  # schema version = len(MIGRATIONS) today
    newer = [*_schema.MIGRATIONS, extra]
    monkeypatch.setattr(backup, "MIGRATIONS", newer)
    monkeypatch.setattr(store_module, "MIGRATIONS", newer)
    result = restore(live, data, now_utc=NOW)
    assert result.schema_version == len(newer) - 1
    store = open_store(live)
    assert store.schema_version() == len(newer)
    assert store.scalar("SELECT x FROM later_table") == 42
    assert store.scalar("SELECT count(*) FROM reps") == 1


def test_restored_files_are_owner_only(live: Path, tmp_path: Path) -> None:
    store = open_store(live)
    result = restore(live, backup_bytes(store), now_utc=NOW)
    assert result.previous_copy is not None
    for path in (live, result.previous_copy):
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(result.previous_copy.parent).st_mode & 0o077 == 0


def test_a_refused_restore_into_a_missing_database_writes_nothing(tmp_path: Path, live: Path) -> None:
    target = tmp_path / "new" / "scorecard.duckdb"
    payload = _crafted(tmp_path, live, "CREATE TABLE stolen (x VARCHAR)")
    with pytest.raises(RestoreRefused):
        restore(target, payload, now_utc=NOW)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_store_can_still_read_a_plain_copy(live: Path, tmp_path: Path) -> None:
    """Sanity for the fixture: the genuine backup restores (so each refusal above is about its change)."""
    payload = _crafted(tmp_path, live)
    result = restore(live, payload, now_utc=NOW)
    assert (result.reps, result.events) == (1, 2)
    with Store(live.parent / "backups" / "20260306-153000Z.duckdb", read_only=True) as kept:
        assert kept.scalar("SELECT count(*) FROM reps") == 1
