"""The DuckLake backends (docs/scale-out.md): how a database is named, extensions from their wheels,
the schema without constraints, the guarantees kept without them, and versions other stores follow."""

from __future__ import annotations

import importlib.util
import json
import re
import threading
import time
from pathlib import Path

import duckdb
import pytest

from scorecard import backup
from scorecard import store as store_module
from scorecard._schema import MIGRATIONS, SEQUENCES, for_ducklake
from scorecard.localpg import LocalPostgres
from scorecard.store import (
    DATA_PATH_ENV,
    FILE,
    LAKE_POSTGRES,
    LAKE_SQLITE,
    VERSION_POLL_S,
    BadDatabaseSpec,
    ExtensionMissing,
    NotOnDuckLake,
    Store,
    backend_for,
    extension_file,
    insert_missing,
    next_ids,
    open_store,
    resolve_location,
    upsert,
)
from tests.factories import add_rep, database_location, fresh_pg_database


def _lake(tmp_path: Path, name: str = "lake") -> str:
    return f"ducklake:sqlite:{tmp_path / name}.sqlite"


def test_a_spec_names_the_backend_and_where_its_files_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_PATH_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    file = backend_for("team.duckdb")
    assert (file.kind, file.spec, file.home) == (FILE, str(tmp_path / "team.duckdb"), tmp_path)
    sqlite = backend_for("ducklake:sqlite:cat/team.sqlite")
    assert sqlite.kind == LAKE_SQLITE and sqlite.spec == f"ducklake:sqlite:{tmp_path}/cat/team.sqlite"
    assert sqlite.data_path == tmp_path / "cat" / "team.sqlite.files" and sqlite.home == tmp_path / "cat"
    with pytest.raises(BadDatabaseSpec, match=DATA_PATH_ENV):
        backend_for("ducklake:postgres:dbname=team host=db")
    monkeypatch.setenv(DATA_PATH_ENV, str(tmp_path / "shared"))
    pg = backend_for("ducklake:postgres:dbname=team host=db password=hunter2 user=sc")
    assert (pg.kind, pg.catalog, pg.data_path, pg.home) == (
        LAKE_POSTGRES, "postgres:dbname=team host=db password=hunter2 user=sc", tmp_path / "shared", tmp_path / "shared"
    )
    assert "hunter2" not in pg.describe() and "user=sc" in pg.describe()
    assert backend_for("ducklake:sqlite:cat/team.sqlite").data_path == tmp_path / "shared"
    # The spec travels through Path-typed arguments (--db, open_store) and comes back the same.
    assert resolve_location(Path(pg.spec)) == Path(pg.spec)
    for unusable in ("ducklake:/x/team.ducklake", "ducklake:mysql:db=x", "ducklake:sqlite:", "ducklake:postgres: "):
        with pytest.raises(BadDatabaseSpec, match="ducklake:sqlite:"):
            backend_for(unusable)


def test_every_migration_has_a_lake_form_without_constraints_sequences_or_wide_integers() -> None:
    named = set()
    for statements in MIGRATIONS:
        for statement in statements:
            named |= set(re.findall(r"nextval\('([a-z_]+)'\)", statement))
            named |= set(re.findall(r"CREATE SEQUENCE ([a-z_]+)", statement))
            lake = for_ducklake(statement)
            if lake is None:
                assert statement.lstrip().startswith("CREATE SEQUENCE")
                continue
            assert not re.search(r"PRIMARY KEY|UNIQUE|nextval|SEQUENCE|DEFAULT \[\]|HUGEINT", lake), lake
    assert named == set(SEQUENCES), "every sequence of the file has an id rule on a lake"


def test_extensions_come_from_their_wheels_under_the_names_duckdb_loads_them_by() -> None:
    for name in ("ducklake", "parquet", "sqlite_scanner", "postgres_scanner"):
        found = extension_file(name)
        assert found.name == f"{name}.duckdb_extension"
        assert found.resolve().is_file() and "site-packages" in str(found.resolve())
        assert f"v{duckdb.__version__}" in str(found.resolve())


def test_a_missing_extension_wheel_is_named_with_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        store_module.importlib.util, "find_spec", lambda name: None if name == "duckdb_extension_ducklake" else real(name)
    )
    with pytest.raises(ExtensionMissing, match=rf"duckdb-extension-ducklake=={re.escape(duckdb.__version__)}.*make setup"):
        Store(_lake(tmp_path))


def test_a_lake_connection_never_downloads_or_autoloads(tmp_path: Path) -> None:
    with Store(_lake(tmp_path)) as lake:
        assert lake.scalar("SELECT current_setting('autoinstall_known_extensions')") is False
        assert lake.scalar("SELECT current_setting('autoload_known_extensions')") is False
        with pytest.raises(duckdb.Error, match="(?i)spatial"):
            lake.scalar("SELECT ST_Point(1, 2)")


def test_two_stores_on_one_lake_migrate_once_and_see_each_others_writes(tmp_path: Path) -> None:
    spec = _lake(tmp_path)
    first, second = Store(spec), Store(spec)
    try:
        for s in (first, second):
            assert s.schema_version() == len(MIGRATIONS)
            assert s.scalar("SELECT count(*) FROM schema_version") == len(MIGRATIONS)
        seen = second.data_version()
        woke: list[tuple[int, float]] = []
        waiter = threading.Thread(target=lambda: woke.append((second.wait_for_change(seen, 5.0), time.monotonic())))
        waiter.start()
        time.sleep(0.2)
        written_at = time.monotonic()
        rep = add_rep(first, "Ana Lopez")
        waiter.join(6.0)
        assert woke and woke[0][0] > seen and woke[0][0] == first.data_version()
        assert woke[0][1] - written_at < 5.0
        # Reads see the other store's commit at once, without waiting for the version.
        assert second.scalar("SELECT display_name FROM reps WHERE rep_id = ?", [rep]) == "Ana Lopez"
        time.sleep(VERSION_POLL_S)
        assert second.data_version() == first.data_version()
    finally:
        first.close()
        second.close()
    with Store(spec) as again:
        assert again.scalar("SELECT count(*) FROM schema_version") == len(MIGRATIONS)


def test_ids_and_one_row_per_key_hold_without_constraints(tmp_path: Path) -> None:
    with Store(_lake(tmp_path)) as lake:
        add_rep(lake, "Ana")
        with lake.write() as cur:
            first = next_ids(cur, "rep_id_seq", 3)
            # Deleting the highest rep must not hand its id out again.
            cur.execute("DELETE FROM reps")
        with lake.write() as cur:
            second = next_ids(cur, "rep_id_seq", 2)
        assert first == [2, 3, 4] and second == [5, 6]
        with lake.write() as cur:
            upsert(cur, "settings", ("key",), {"key": "currency", "value": '"$"'})
            upsert(cur, "settings", ("key",), {"key": "currency", "value": '"€"'})
            assert insert_missing(cur, "pto", ("rep_id", "day"), {"rep_id": 1, "day": "2026-11-18"}) == 1
            assert insert_missing(cur, "pto", ("rep_id", "day"), {"rep_id": 1, "day": "2026-11-18"}) == 0
        assert lake.fetchall("SELECT value FROM settings WHERE key = 'currency'") == [('"€"',)]
        assert lake.scalar("SELECT count(*) FROM pto") == 1


def test_event_keys_keep_every_digit_on_a_lake(tmp_path: Path) -> None:
    """DuckDB writes 128-bit integers to Parquet as doubles; the lake keeps keys as exact text."""
    with Store(_lake(tmp_path)) as lake:
        with lake.write() as cur:
            # More rows than a lake inlines into its catalog, so they land in a Parquet file.
            cur.execute(
                "INSERT INTO events (event_id, event_key, rep_id, occurred_at, first_batch_id) "
                "SELECT range, md5_number('k' || range), 1, TIMESTAMP '2026-11-18 10:00', 1 FROM range(50)"
            )
        matched = lake.scalar(
            "SELECT count(*) FROM events e JOIN (SELECT md5_number('k' || range) AS k FROM range(50)) x ON e.event_key = x.k"
        )
        assert matched == 50


def test_a_lake_told_another_data_folder_says_which_one_it_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_PATH_ENV, raising=False)
    spec = _lake(tmp_path)
    Store(spec).close()
    with pytest.raises(BadDatabaseSpec, match=rf"{re.escape(str(tmp_path))}/lake\.sqlite\.files.*{DATA_PATH_ENV}"):
        Store(spec, data_path=tmp_path / "elsewhere")


def test_backup_and_restore_refuse_a_lake_and_say_what_to_use(tmp_path: Path) -> None:
    file = Store(tmp_path / "file.duckdb")
    data = backup.backup_bytes(file)
    file.close()
    with Store(_lake(tmp_path)) as lake:
        assert backup.unavailable_reason(lake) is not None
        with pytest.raises(NotOnDuckLake, match="catalog database's own backup"):
            backup.backup_bytes(lake)
        with pytest.raises(backup.RestoreRefused, match="docs/scale-out.md"):
            backup.restore(lake, data)
        assert lake.scalar("SELECT count(*) FROM reps") == 0


def test_open_store_keys_a_lake_by_its_spec(tmp_path: Path) -> None:
    spec = _lake(tmp_path)
    try:
        assert open_store(spec) is open_store(Path(spec))
        assert open_store(spec).path == Path(spec)
    finally:
        store_module.forget_store(spec)


def test_a_postgres_catalog_lake_opens_migrates_and_maintains(tmp_path: Path, postgres: LocalPostgres) -> None:
    location, data_path = database_location(tmp_path, backend="ducklake-postgres", pg_dsn=postgres.dsn)
    with Store(location, data_path=data_path) as lake:
        assert lake.backend.kind == LAKE_POSTGRES and lake.schema_version() == len(MIGRATIONS)
        add_rep(lake, "Ana")
        before = lake.data_version()
        lake.maintenance()
        assert lake.data_version() >= before
        assert lake.scalar("SELECT count(*) FROM reps") == 1


def test_an_unreachable_postgres_catalog_says_what_to_check(tmp_path: Path, postgres: LocalPostgres) -> None:
    dead = f"ducklake:postgres:host=127.0.0.1 port={postgres.port + 1 if postgres.port < 65535 else 1} dbname=x user=y"
    with pytest.raises(store_module.DatabaseUnavailable, match="PostgreSQL is running"):
        Store(dead, data_path=tmp_path / "data")


def test_fresh_pg_databases_are_separate(postgres: LocalPostgres) -> None:
    assert fresh_pg_database(postgres.dsn) != fresh_pg_database(postgres.dsn)


def test_the_command_line_takes_a_lake_spec_for_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from scorecard.cli import main
    from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows

    monkeypatch.delenv(DATA_PATH_ENV, raising=False)
    export = tmp_path / "week.csv"
    export.write_bytes(csv_bytes(GENERIC_HEADER, generic_rows(12)))
    spec = _lake(tmp_path, "cli")
    assert main(["ingest", "--db", spec, str(export)]) == 0
    assert main(["ingest", "--db", spec, str(export)]) == 0
    capsys.readouterr()
    assert main(["batches", "--db", spec, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted((b["rows_added"], b["rows_duplicate"]) for b in listed) == [(0, 12), (12, 0)]
    assert (tmp_path / "cli.sqlite.files").is_dir()
    with Store(spec) as lake:
        assert lake.scalar("SELECT count(*) FROM events") == 12
        assert lake.scalar("SELECT count(*) FROM batches") == 2


def test_a_new_lake_is_fresh_until_its_first_write(tmp_path: Path) -> None:
    """`make run` seeds the demo team into a new database only; a lake's migrations make a snapshot but no write."""
    from scorecard.setup import is_fresh

    with Store(_lake(tmp_path)) as lake:
        assert lake.writes() == 0 and is_fresh(lake)
        add_rep(lake, "Ana")
        assert lake.writes() == 1 and not is_fresh(lake)
