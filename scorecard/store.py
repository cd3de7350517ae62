"""The query layer: the only module that talks to DuckDB.

One process owns the database file read-write. It holds one connection, runs
every query on a cursor of its own, pushes every write through one lock inside
one transaction, and bumps a data version on every committed write so open
pages can notice new data cheaply.
"""

from __future__ import annotations

import atexit
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from scorecard._schema import MIGRATIONS

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "scorecard.duckdb"

Params = Sequence[Any] | dict[str, Any] | None


class DatabaseLocked(RuntimeError):
    """Another process (normally the running app) holds the database file."""


class NotAScorecardDatabase(ValueError):
    """The file opened is a DuckDB file, or not even that, but not one of ours."""


def default_db_path() -> Path:
    """`$SCORECARD_DB` when set, else `data/scorecard.duckdb` beside the code."""
    env = os.environ.get("SCORECARD_DB")
    return Path(env) if env else DEFAULT_DB


def private_files() -> None:
    """Make every file this process creates readable by its owner only.

    The database, its write-ahead log (which DuckDB deletes and re-creates at
    each checkpoint), spill files and backups all hold the team's data, and
    DuckDB creates them with the process umask: tightening the umask is the
    only way they are never world-readable, not even for a moment.
    """
    os.umask(os.umask(0o077) | 0o077)


def _owner_only(path: Path) -> None:
    """Tighten a file an older version created 0644; someone else's file is left as it is."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            if candidate.exists() and candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)
        except PermissionError:
            pass


class Store:
    """A DuckDB file with its schema migrated, one connection, and a write lock."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.read_only = read_only
        if not read_only:
            private_files()
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = self._connect()
        self._write_lock = threading.RLock()
        # Every query holds a slot for as long as its cursor is in use; `quiesced` waits until
        # none is, and new ones wait while the file is closed, so no query meets a closed file.
        self._slots = threading.Condition()
        self._in_use = 0
        self._quiescing = False
        self._closed = False
        # Identifies the open file in cache keys: a restore swaps in another
        # history under the same path, so (path, version) alone could collide.
        self.token = uuid.uuid4().hex
        self._changed = threading.Condition()
        if not read_only:
            _owner_only(self.path)
            self._migrate()
        else:
            self._check_is_ours()
        self._version = self._read_version()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=self.read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise DatabaseLocked(
                    f"{self.path} is in use by another process (normally the running app). "
                    "Upload through the app's Upload page, or drop the file into data/inbox/."
                ) from exc
            raise

    # -- reading -----------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor: DuckDB cursors are cheap and safe to use one per thread.

        A bare cursor is not protected across a restore; the methods below use `_cursor`, which is.
        """
        with self._slots:
            while self._quiescing:
                self._slots.wait()
            return self._con.cursor()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._slots:
            while self._quiescing:
                self._slots.wait()
            self._in_use += 1
            cur = self._con.cursor()
        try:
            with cur:
                yield cur
        finally:
            with self._slots:
                self._in_use -= 1
                self._slots.notify_all()

    def fetchall(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Params = None) -> tuple[Any, ...] | None:
        with self._cursor() as cur:
            return cur.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Params = None) -> Any:
        row = self.fetchone(sql, params)
        return None if row is None else row[0]

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        """Run a query and return its result as a Polars frame."""
        with self._cursor() as cur:
            result: pl.DataFrame = cur.sql(sql, params=params).pl()
            return result

    def data_version(self) -> int:
        """The number of writes committed so far.

        This process owns the file read-write, so every commit passes through
        `write()` and the counter is exact without a query: pages ask for it
        many times per run, and open pages ask on every change.
        """
        return self._version

    def _read_version(self) -> int:
        return int(self.scalar("SELECT value FROM meta WHERE key = 'data_version'") or 0)

    def wait_for_change(self, seen: int, timeout_s: float) -> int:
        """Block until the data version differs from `seen` (or the timeout, or close); returns it."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != seen or self._closed, timeout_s)
            return self._version

    # -- writing -----------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction under the process-wide write lock.

        Commits and bumps the data version when the block exits normally;
        rolls back and re-raises otherwise, so a failed write leaves nothing.
        """
        if self.read_only:
            raise PermissionError(f"{self.path} is open read-only")
        with self._write_lock, self._cursor() as cur:
            cur.begin()
            try:
                yield cur
                cur.execute(
                    "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'"
                )
                row = cur.execute("SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'data_version'").fetchall()[0]
                cur.commit()
            except BaseException:
                cur.rollback()
                raise
            self._announce(int(row[0]) if row else self._version + 1)

    def _announce(self, version: int) -> None:
        with self._changed:
            self._version = version
            self._changed.notify_all()

    def copy_to(self, target: Path) -> None:
        """Copy the whole database into a new file at `target`, as one consistent snapshot.

        `COPY FROM DATABASE` runs as one read transaction, so the copy is
        consistent while the app keeps writing; copying the live file's bytes
        would miss commits still in the write-ahead log.
        """
        source = str(self.scalar("SELECT current_database()"))
        # A fresh alias, so concurrent copies never collide.
        alias = f"scorecard_copy_{uuid.uuid4().hex}"
        with self._cursor() as cur:
            cur.execute(f"ATTACH ? AS {alias}", [str(target)])
            try:
                cur.execute(f"COPY FROM DATABASE {_quote_identifier(source)} TO {alias}")
            finally:
                # Detaching checkpoints the copy, so the single file is complete.
                cur.execute(f"DETACH {alias}")

    @contextmanager
    def quiesced(self) -> Iterator[Path]:
        """Close the file under the write lock, so it can be replaced; reopen it after.

        Restore swaps the file inside this block. Writers (the inbox watcher, an
        upload) wait on the lock and then write to the reopened file; new
        cursors wait too. The Store object stays the same, so nobody holding it
        can go on writing to a file that is no longer the live one.
        """
        if self.read_only:
            raise PermissionError(f"{self.path} is open read-only")
        with self._write_lock:
            with self._slots:
                self._quiescing = True
                self._slots.wait_for(lambda: self._in_use == 0)
            try:
                self._con.close()
                yield self.path
            finally:
                try:
                    self._con = self._connect()
                    _owner_only(self.path)
                finally:
                    with self._slots:
                        self._quiescing = False
                        self._slots.notify_all()
                self._migrate()
                self.token = uuid.uuid4().hex
                self._announce(self._read_version())

    def close(self) -> None:
        # Waiters for a change notice the close within their own timeout; touching
        # the condition here, at interpreter exit, aborted the process.
        self._closed = True
        self._con.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ------------------------------------------------------------
    def schema_version(self) -> int:
        return int(self.scalar("SELECT max(version) FROM schema_version") or 0)

    def _check_is_ours(self) -> None:
        try:
            self.schema_version()
        except duckdb.Error as exc:
            raise NotAScorecardDatabase(f"{self.path} is not a Team Scorecard database") from exc

    def _migrate(self) -> None:
        """Apply forward-only migrations; each one in its own transaction."""
        with self._write_lock, self._cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)")
            current = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
            done = int(current[0]) if current else 0
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version <= done:
                    continue
                cur.begin()
                try:
                    for statement in statements:
                        cur.execute(statement)
                    cur.execute(
                        "INSERT INTO schema_version VALUES (?, current_timestamp::TIMESTAMP)", [version]
                    )
                    cur.commit()
                except BaseException:
                    cur.rollback()
                    raise


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_scorecard_database(path: Path | str) -> bool:
    """True when `path` is a DuckDB file carrying our schema (checked read-only)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return {"schema_version", "meta", "reps", "events", "batches"} <= tables
    except duckdb.Error:
        return False
    finally:
        con.close()


_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()


@atexit.register
def close_all_stores() -> None:
    """Close every process-wide store at exit, so each file is checkpointed and released cleanly."""
    with _stores_lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()


def open_store(path: Path | str | None = None) -> Store:
    """The process-wide store for `path`: one connection per file per process."""
    resolved = (Path(path) if path is not None else default_db_path()).resolve()
    with _stores_lock:
        store = _stores.get(resolved)
        if store is None:
            store = Store(resolved)
            _stores[resolved] = store
        return store


def forget_store(path: Path | str) -> None:
    """Close and drop the process-wide store for `path` (used by restore and tests)."""
    resolved = Path(path).resolve()
    with _stores_lock:
        store = _stores.pop(resolved, None)
    if store is not None:
        store.close()
