"""Backup and restore of the one DuckDB file that holds a team's whole state.

A backup is a fresh database file filled by `COPY FROM DATABASE` from the live
one. That copy runs as one read transaction, so it is a consistent snapshot
even while the app keeps serving and writing; copying the live file's bytes
would not be (the newest commits may sit in the write-ahead log).

A restore never trusts the uploaded file. A DuckDB file can carry views,
macros, generated columns and extra schemas, and any of them can run SQL (read
files, shadow built-in functions) when someone queries the file. So the upload
is only ever opened beside a new, empty database built by our own migrations,
on a connection whose external access is switched off and whose configuration
is locked, and only if it holds exactly our tables, columns and sequences and
nothing else. Their rows are copied into the new database; the upload itself
is never served. Then, under the store's write lock, the live file is kept
aside under `backups/` and the new one is swapped in.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from scorecard._schema import MIGRATIONS
from scorecard.store import Store, backend_for, last_handed_out, open_store, private_files, sql_literal

BACKUP_DIR_NAME = "backups"
# Every DuckDB file carries this magic at byte 8 of its header.
_DUCKDB_MAGIC = b"DUCK"
UPLOAD = "upload"  # the alias the untrusted file is attached under
# A sequence is moved past its rows with nextval(); a crafted value must not make that run for hours.
MAX_SEQUENCE_ADVANCE = 100_000_000
# Sequences whose column has no DEFAULT (the ingest pipeline draws ids itself).
_SEQUENCE_COLUMNS = {"event_id_seq": ("events", "event_id")}
_NEXTVAL = re.compile(r"nextval\('([A-Za-z_][A-Za-z0-9_]*)'\)")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NOT_OURS = (
    "This DuckDB file is not a Team Scorecard backup: it lacks the scorecard tables "
    "(or it was written by a newer DuckDB than this app can read). Restore a .duckdb file downloaded from Backup."
)


# A lake is many files in two places, written by many processes; its own tools back it up (docs/scale-out.md).
LAKE_BACKUP = (
    "This team's data is in a DuckLake shared by several app processes, and backup files and restore cover a "
    "single database file only. Back a lake up with its catalog database's own backup (pg_dump, or a copy of the "
    "SQLite catalog file) together with a copy of its data folder; see docs/scale-out.md."
)


def unavailable_reason(store: Store) -> str | None:
    """Why backup and restore are not offered for `store` (None when they are)."""
    return LAKE_BACKUP if store.is_lake else None


class RestoreRefused(ValueError):
    """The upload cannot be restored; the live database was not touched."""


@dataclass(frozen=True)
class RestoreResult:
    previous_copy: Path | None  # where the replaced database was kept
    schema_version: int  # of the upload as it arrived
    reps: int
    events: int


def backup_bytes(store: Store) -> bytes:
    """A consistent, self-contained copy of the whole database, as file bytes."""
    with tempfile.TemporaryDirectory(prefix="scorecard-backup-") as tmp:
        target = Path(tmp) / "backup.duckdb"
        store.copy_to(target)
        return target.read_bytes()


def backup_to_file(store: Store, target: Path | str) -> Path:
    """Write a backup to `target` (owner-only), never over an existing file."""
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose a new file name (nothing was written)")
    private_files()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so a half-written backup never carries the final name.
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as tmp:
        partial = Path(tmp) / "backup.duckdb"
        store.copy_to(partial)
        partial.chmod(0o600)
        os.replace(partial, target)
    return target


def backup_file_name(now_utc: datetime) -> str:
    """The download's file name, e.g. scorecard-backup-20261123-104000Z.duckdb."""
    return f"scorecard-backup-{now_utc:%Y%m%d-%H%M%S}Z.duckdb"


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- reading the upload without trusting it ---------------------------------------


def _locked_down(fresh: Path, upload: Path) -> duckdb.DuckDBPyConnection:
    """A connection to `fresh` that can read `upload` and no other file, with its configuration locked.

    With external access off, nothing in the upload (a view over read_text, a
    macro, an ATTACH) can reach a file, an environment variable or a secret;
    with the configuration locked, nothing can switch it back on.
    """
    con = duckdb.connect(str(fresh))
    try:
        con.execute("SET allowed_paths = ?", [[str(upload), str(_wal(upload))]])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        # ATTACH takes no parameters; the path is our own temporary file's.
        con.execute(f"ATTACH {sql_literal(str(upload))} AS {UPLOAD} (TYPE duckdb, READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        raise RestoreRefused(_NOT_OURS) from exc
    return con


def _names(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> list[str]:
    return sorted(str(row[0]) for row in con.execute(sql, params).fetchall())


def _refuse_if(found: list[str], what: str) -> None:
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise RestoreRefused(
            f"This file is not a plain Team Scorecard backup: it contains {what} ({shown}). "
            "A backup made by this app has only the scorecard's tables. Nothing was restored."
        )


def _refuse_extras(con: duckdb.DuckDBPyConnection, home: str) -> None:
    """Anything but tables and sequences in the upload is refused before a single row is read."""
    _refuse_if(
        _names(con, "SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name NOT IN (?, ?)", [home, UPLOAD]),
        "attached databases",
    )
    _refuse_if(_names(con, "SELECT schema_name FROM duckdb_schemas() WHERE database_name = ? AND NOT internal", [UPLOAD]), "extra schemas")
    _refuse_if(_names(con, "SELECT view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal", [UPLOAD]), "views")
    _refuse_if(
        _names(con, "SELECT DISTINCT function_name FROM duckdb_functions() WHERE database_name = ? AND NOT internal", [UPLOAD]),
        "macros or functions",
    )
    _refuse_if(_names(con, "SELECT type_name FROM duckdb_types() WHERE database_name = ? AND NOT internal", [UPLOAD]), "custom types")
    _refuse_if(_names(con, "SELECT index_name FROM duckdb_indexes() WHERE database_name = ?", [UPLOAD]), "indexes")
    # DuckDB 1.5 lists no generated flag per column; the table's definition, which DuckDB
    # writes itself from its catalog, names every computed column.
    _refuse_if(
        _names(
            con,
            "SELECT 'table ' || table_name FROM duckdb_tables() WHERE database_name = ? AND contains(sql, 'GENERATED ALWAYS AS')",
            [UPLOAD],
        ),
        "computed columns",
    )


def _columns(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[tuple[str, str]]]:
    """Every table of `database`'s main schema with its (column, type) list, in order."""
    tables: dict[str, list[tuple[str, str]]] = {}
    for table in _names(con, "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary", [database]):
        tables[table] = []
    for table, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = ? ORDER BY table_name, column_index",
        [database],
    ).fetchall():
        tables.setdefault(str(table), []).append((str(column), str(data_type)))
    return tables


def _upload_version(con: duckdb.DuckDBPyConnection) -> int:
    shape = _columns(con, UPLOAD).get("schema_version")
    if shape != [("version", "INTEGER"), ("applied_at", "TIMESTAMP")]:
        raise RestoreRefused(_NOT_OURS)
    version = con.execute(f"SELECT max(version) FROM {UPLOAD}.main.schema_version").fetchone()
    if version is None or version[0] is None or int(version[0]) < 1:
        raise RestoreRefused(_NOT_OURS)
    if int(version[0]) > len(MIGRATIONS):
        raise RestoreRefused(
            f"This backup comes from a newer version of Team Scorecard (schema {version[0]}; this app knows "
            f"up to {len(MIGRATIONS)}). Update the app, then restore it."
        )
    return int(version[0])


def _build_schema(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Our own migrations, up to the upload's version, in the fresh database."""
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for statements in MIGRATIONS[:version]:
        for statement in statements:
            con.execute(statement)


def _same_shape(con: duckdb.DuckDBPyConnection, home: str) -> list[str]:
    """The upload must have exactly our tables, columns and sequences; returns the table names."""
    ours, theirs = _columns(con, home), _columns(con, UPLOAD)
    _refuse_if(sorted(set(theirs) - set(ours)), "extra tables")
    if set(ours) - set(theirs):
        raise RestoreRefused(_NOT_OURS)
    changed = sorted(t for t in ours if ours[t] != theirs[t])
    if changed:
        raise RestoreRefused(
            f"This file's tables do not have the columns a Team Scorecard backup has ({', '.join(changed)}). "
            "Nothing was restored."
        )
    our_sequences = _names(con, "SELECT sequence_name FROM duckdb_sequences() WHERE database_name = ?", [home])
    their_sequences = _names(con, "SELECT sequence_name FROM duckdb_sequences() WHERE database_name = ?", [UPLOAD])
    _refuse_if(sorted(set(their_sequences) - set(our_sequences)), "extra sequences")
    return sorted(ours)


def _copy_rows(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    # Table names come from our own fresh catalog (an allow-list), never from the upload.
    con.begin()
    try:
        for table in tables:
            # Rows our migrations seeded (the data version) are in the upload too: theirs win.
            con.execute(f"DELETE FROM main.{_quote(table)}")
            con.execute(f"INSERT INTO main.{_quote(table)} SELECT * FROM {UPLOAD}.main.{_quote(table)}")
        con.commit()
    except duckdb.Error as exc:
        con.rollback()
        raise RestoreRefused(f"This backup's rows do not fit the scorecard's tables ({exc}). Nothing was restored.") from exc


def _sequence_columns(con: duckdb.DuckDBPyConnection, home: str) -> dict[str, tuple[str, str]]:
    found = dict(_SEQUENCE_COLUMNS)
    for table, column, default in con.execute(
        "SELECT table_name, column_name, column_default FROM duckdb_columns() WHERE database_name = ? AND column_default LIKE 'nextval(%'",
        [home],
    ).fetchall():
        match = _NEXTVAL.search(str(default))
        if match:
            found[match.group(1)] = (str(table), str(column))
    return found


def _carry_sequences(con: duckdb.DuckDBPyConnection, home: str) -> None:
    """Move each new sequence past the upload's value and past every id already in its table."""
    columns = _sequence_columns(con, home)
    for (name,) in con.execute("SELECT sequence_name FROM duckdb_sequences() WHERE database_name = ?", [home]).fetchall():
        row = con.execute(
            "SELECT start_value, last_value FROM duckdb_sequences() WHERE database_name = ? AND sequence_name = ?",
            [UPLOAD, name],
        ).fetchone()
        target = last_handed_out(row[0], row[1]) if row else 0
        if name in columns:
            table, column = columns[name]
            used = con.execute(f"SELECT max({_quote(column)}) FROM main.{_quote(table)}").fetchone()
            target = max(target, int(used[0]) if used and used[0] is not None else 0)
        if target > MAX_SEQUENCE_ADVANCE:
            raise RestoreRefused(f"This backup's id counter {name} is implausibly large ({target:,}). Nothing was restored.")
        if target > 0 and _PLAIN_NAME.match(name):
            # The name comes from our own catalog and is a plain identifier; nextval takes it as a literal.
            con.execute(f"SELECT max(nextval('{name}')) FROM range(?)", [target])


def rebuild(upload: Path, fresh: Path) -> int:
    """Copy a trusted-shape upload's rows into `fresh`, a new database of ours; returns its schema version.

    Raises RestoreRefused, leaving `fresh` half-built (callers throw it away).
    """
    con = _locked_down(fresh, upload)
    try:
        home = str(con.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
        _refuse_extras(con, home)
        version = _upload_version(con)
        _build_schema(con, version)
        tables = _same_shape(con, home)
        _copy_rows(con, tables)
        _carry_sequences(con, home)
        con.execute(f"DETACH {UPLOAD}")
    finally:
        con.close()
    return version


def _check(upload: Path, fresh: Path) -> tuple[int, int, int]:
    """Rebuild, then bring the copy up to date; returns (schema_version, reps, events)."""
    version = rebuild(upload, fresh)
    try:
        with Store(fresh) as upgraded:
            reps = int(upgraded.scalar("SELECT count(*) FROM reps") or 0)
            events = int(upgraded.scalar("SELECT count(*) FROM events") or 0)
    except Exception as exc:
        raise RestoreRefused(f"This backup could not be brought up to date: {exc}. Nothing was restored.") from exc
    return version, reps, events


# -- swapping it in ------------------------------------------------------------------


def _keep_aside(live: Path, backups: Path, now_utc: datetime) -> Path:
    backups.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = f"{now_utc:%Y%m%d-%H%M%S}Z"
    kept = backups / f"{stem}.duckdb"
    serial = 1
    while kept.exists():
        serial += 1
        kept = backups / f"{stem}-{serial}.duckdb"
    shutil.copyfile(live, kept)
    kept.chmod(0o600)
    return kept


def restore(target: Store | Path | str, uploaded: bytes, *, now_utc: datetime | None = None) -> RestoreResult:
    """Replace the live database with an uploaded backup's rows, after checking it completely.

    `target` is the live store (or its path: the process-wide store is used).
    The replaced file is kept as `backups/<timestamp>.duckdb` beside the live
    one. Anything that is not a plain scorecard database raises RestoreRefused
    and writes nothing. The store object stays the same and is reopened on the
    restored file.
    """
    if backend_for(target.path if isinstance(target, Store) else target).is_lake:
        raise RestoreRefused(LAKE_BACKUP)
    live = (target.path if isinstance(target, Store) else Path(target)).resolve()
    if not uploaded:
        raise RestoreRefused("The file is empty; choose a .duckdb backup downloaded from this app.")
    if uploaded[8:12] != _DUCKDB_MAGIC:
        raise RestoreRefused(
            "This file is not a database backup (it is not a DuckDB file). "
            "Restore a .duckdb file downloaded from Backup; CSV and Excel exports go on the Upload page."
        )
    private_files()
    live.parent.mkdir(parents=True, exist_ok=True)
    # A private folder beside the live file: same file system for the final rename, and nobody else can look in.
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=live.parent) as tmp:
        upload, fresh = Path(tmp) / "upload.duckdb", Path(tmp) / "restored.duckdb"
        upload.write_bytes(uploaded)
        version, reps, events = _check(upload, fresh)
        store = target if isinstance(target, Store) else (open_store(live) if live.exists() else None)
        previous = _swap(store, live, fresh, now_utc or datetime.now(UTC))
    return RestoreResult(previous_copy=previous, schema_version=version, reps=reps, events=events)


def _data_version(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _swap(store: Store | None, live: Path, fresh: Path, now_utc: datetime) -> Path | None:
    """Under the write lock: keep the live file aside, move the new one in, reopen."""
    if store is None:
        os.replace(fresh, live)
        return None
    old_version = store.data_version()
    with store.quiesced():
        previous = _keep_aside(live, live.parent / BACKUP_DIR_NAME, now_utc)
        # A clean close leaves no log; a stale one must never be replayed onto the new file.
        wal = _wal(live)
        if wal.exists():
            shutil.move(wal, _wal(previous))
        # Writes may have landed between the read above and the lock: the kept copy has the last version.
        old_version = max(old_version, _data_version(previous))
        os.replace(fresh, live)
    # Pages cache on the data version: make it larger than anything the old
    # file ever showed, so nothing cached from before the restore is reused.
    with store.write() as cur:
        cur.execute(
            "UPDATE meta SET value = CAST(greatest(CAST(value AS BIGINT), ?) AS VARCHAR) WHERE key = 'data_version'",
            [old_version],
        )
    return previous
