"""The query layer: the only module that talks to DuckDB.

Two backends, one code path above them (docs/scale-out.md):

- a DuckDB file, the embedded default: one process owns it read-write;
- a DuckLake (`ducklake:sqlite:…` or `ducklake:postgres:…`): a catalog database
  plus Parquet files in a shared folder, which several processes, on one
  machine or many, read and write with snapshot isolation.

Either way the store holds one connection, runs every query on a cursor of
its own, pushes every write through one lock inside one transaction, and
announces a data version on every committed write so open pages can notice
new data cheaply. On a DuckLake the lock also spans processes (a PostgreSQL
advisory lock, or a lock file beside a SQLite catalog) and the version is the
lake's snapshot id, which follows commits made by any process.

A database is named by one string, `SCORECARD_DB` or `--db`: a file path or a
DuckLake spec. It travels through the code as a `Path` (the command line and
the older callers hand paths around); `resolve_location` turns either into the
one canonical name `open_store` keys on.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import importlib.util
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import duckdb
import polars as pl

from scorecard._schema import MIGRATIONS, SEQUENCES, for_ducklake

log = logging.getLogger(__name__)

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "scorecard.duckdb"

Params = Sequence[Any] | dict[str, Any] | None
T = TypeVar("T")

# -- where the data lives ----------------------------------------------------
FILE = "file"
LAKE_SQLITE = "ducklake-sqlite"
LAKE_POSTGRES = "ducklake-postgres"
LAKE_PREFIX = "ducklake:"
DATA_PATH_ENV = "SCORECARD_DATA_PATH"
# The name the lake is attached under; every cursor makes it its default database.
LAKE_ALIAS = "lake"
_SPEC_HELP = (
    "Use a file path, `ducklake:sqlite:/path/catalog.sqlite`, or "
    "`ducklake:postgres:dbname=… host=… port=… user=…` (docs/scale-out.md)."
)

# How often a waiting page's store asks the lake for its newest snapshot, and how
# stale `data_version()` may be before a caller's read asks again.
VERSION_POLL_S = 0.5
# How long a write waits for another process's write to finish before giving up.
WRITE_LOCK_WAIT_S = 600.0
# Commits that lost a race to a program outside the write lock are re-run this often.
CONFLICT_ATTEMPTS = 3
# The PostgreSQL advisory lock every Team Scorecard writer of a lake takes: a fixed
# number that no other program is likely to pick.
ADVISORY_LOCK_KEY = int.from_bytes(hashlib.sha256(b"team-scorecard write lock").digest()[:8], "big", signed=True)


class DatabaseLocked(RuntimeError):
    """Another process (normally the running app) holds the database file."""


class NotAScorecardDatabase(ValueError):
    """The file opened is a DuckDB file, or not even that, but not one of ours."""


class BadDatabaseSpec(ValueError):
    """`SCORECARD_DB` / `--db` (or `SCORECARD_DATA_PATH`) does not name a database this app can open."""


class ExtensionMissing(RuntimeError):
    """A DuckDB extension the lake needs is not installed from its wheel."""


class FileFromNewerDuckDB(RuntimeError):
    """The file was written by a newer DuckDB (the app's builds before 1.5.5 used DuckDB 2.0)."""


class DatabaseUnavailable(RuntimeError):
    """The lake's catalog database cannot be reached."""


class DatabaseBusy(RuntimeError):
    """Another process held the write lock for longer than a write waits."""


class WriteConflict(RuntimeError):
    """A DuckLake commit lost to a concurrent change made outside the write lock; nothing was saved."""


class NotOnDuckLake(RuntimeError):
    """An operation of the single file (copy, swap) was asked of a DuckLake."""


@dataclass(frozen=True)
class Backend:
    """Which kind of database a store talks to, and where it is."""

    kind: str  # FILE | LAKE_SQLITE | LAKE_POSTGRES
    spec: str  # the canonical name: an absolute file path, or the DuckLake spec
    catalog: str = ""  # what DuckLake's ATTACH takes after `ducklake:` (sqlite:/abs/path or postgres:<libpq>)
    data_path: Path | None = None  # the lake's Parquet folder

    @property
    def is_lake(self) -> bool:
        return self.kind != FILE

    @property
    def home(self) -> Path:
        """The folder for files that go with the data (the generated passcode, kept backups)."""
        if self.kind == FILE:
            return Path(self.spec).parent
        if self.kind == LAKE_SQLITE:
            return Path(self.catalog.removeprefix("sqlite:")).parent
        assert self.data_path is not None
        return self.data_path

    def describe(self) -> str:
        """The spec for messages and logs, with any password hidden."""
        return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", self.spec)


def default_db_path() -> Path:
    """`$SCORECARD_DB` when set (a file path or a DuckLake spec), else `data/scorecard.duckdb` beside the code."""
    env = os.environ.get("SCORECARD_DB")
    return Path(env) if env else DEFAULT_DB


def _parse(location: Path | str) -> tuple[str, str, str]:
    """(kind, canonical spec, catalog) of a database name; raises BadDatabaseSpec."""
    text = str(location).strip()
    if not text.startswith(LAKE_PREFIX):
        absolute = str(Path(text).resolve())
        return FILE, absolute, ""
    catalog = text[len(LAKE_PREFIX) :]
    if catalog.startswith("sqlite:"):
        file = catalog[len("sqlite:") :].strip()
        if not file:
            raise BadDatabaseSpec(f"{text!r} names no catalog file. {_SPEC_HELP}")
        absolute = str(Path(file).expanduser().resolve())
        return LAKE_SQLITE, f"{LAKE_PREFIX}sqlite:{absolute}", f"sqlite:{absolute}"
    if catalog.startswith("postgres:"):
        conninfo = catalog[len("postgres:") :].strip()
        if not conninfo:
            raise BadDatabaseSpec(f"{text!r} names no PostgreSQL database. {_SPEC_HELP}")
        return LAKE_POSTGRES, f"{LAKE_PREFIX}postgres:{conninfo}", f"postgres:{conninfo}"
    raise BadDatabaseSpec(
        f"{text!r} is not a catalog this app can share between processes (only sqlite: and postgres: are). {_SPEC_HELP}"
    )


def resolve_location(location: Path | str | None = None) -> Path:
    """The canonical name of a database (default: `$SCORECARD_DB`), the key `open_store` uses."""
    return Path(_parse(location if location is not None else default_db_path())[1])


def backend_for(location: Path | str | None = None, data_path: Path | str | None = None) -> Backend:
    """Where the database named `location` lives; a lake's data folder from `data_path`, else `$SCORECARD_DATA_PATH`.

    A SQLite catalog keeps its files in `<catalog>.files/` beside it unless told
    otherwise; a PostgreSQL catalog has no "beside", so it needs the folder named.
    """
    kind, spec, catalog = _parse(location if location is not None else default_db_path())
    if kind == FILE:
        return Backend(kind, spec)
    given = data_path if data_path is not None else os.environ.get(DATA_PATH_ENV, "").strip()
    if given:
        folder = Path(given).expanduser().resolve()
    elif kind == LAKE_SQLITE:
        catalog_file = Path(catalog.removeprefix("sqlite:"))
        folder = catalog_file.with_name(catalog_file.name + ".files")
    else:
        raise BadDatabaseSpec(
            f"{DATA_PATH_ENV} is not set: a lake with a PostgreSQL catalog needs the folder its data files go in, "
            "one that every app process can read and write (the same shared folder on every machine)."
        )
    return Backend(kind, spec, catalog, folder)


def home_dir(location: Path | str | None = None) -> Path:
    """The folder for files that go with the database named `location` (see `Backend.home`)."""
    return backend_for(location).home


def private_files() -> None:
    """Make every file this process creates readable by its owner only.

    The database, its write-ahead log (which DuckDB deletes and re-creates at
    each checkpoint), spill files, a lake's catalog and data files and backups
    all hold the team's data, and DuckDB creates them with the process umask:
    tightening the umask is the only way they are never world-readable, not
    even for a moment.
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


def sql_literal(text: str) -> str:
    """A SQL string literal, for the few statements DuckDB takes no parameters in (LOAD, ATTACH).

    Only for paths and specs this app chose or was configured with, never for data.
    """
    return "'" + text.replace("'", "''") + "'"


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- DuckDB extensions, from their wheels --------------------------------------
# The extension name DuckDB derives the entry point from (the file's name) -> the
# wheel that ships it and the file's name there. The wheels name the PostgreSQL
# and SQLite builds after their short names, so those are linked under their
# entry-point names in a private folder before loading.
_EXTENSION_WHEELS = {
    "ducklake": ("duckdb_extension_ducklake", "ducklake"),
    "parquet": ("duckdb_extension_parquet", "parquet"),
    "sqlite_scanner": ("duckdb_extension_sqlite", "sqlite"),
    "postgres_scanner": ("duckdb_extension_postgres", "postgres"),
}
_CATALOG_EXTENSION = {LAKE_SQLITE: "sqlite_scanner", LAKE_POSTGRES: "postgres_scanner"}
# Nothing is ever downloaded or loaded behind our back: a missing extension fails at once, by name.
_NO_AUTOMATIC_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_links: Path | None = None
_links_lock = threading.Lock()


def extension_file(name: str) -> Path:
    """The file of extension `name` from its installed wheel, under the name DuckDB loads it by."""
    package, stem = _EXTENSION_WHEELS[name]
    dist = package.replace("_", "-")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise ExtensionMissing(
            f"The DuckDB extension {name!r} is not installed: install the {dist}=={duckdb.__version__} wheel "
            "(`make setup` installs everything in requirements.txt). A DuckLake needs it; nothing is downloaded at run time."
        )
    folder = Path(next(iter(found.submodule_search_locations))) / "extensions" / f"v{duckdb.__version__}"
    built = folder / f"{stem}.duckdb_extension"
    if not built.is_file():
        raise ExtensionMissing(
            f"The installed {dist} has no build for DuckDB {duckdb.__version__} ({built} is missing): "
            f"install {dist}=={duckdb.__version__} to match duckdb (`make setup` installs the pinned pair)."
        )
    if stem == name:
        return built
    global _links
    with _links_lock:
        if _links is None:
            _links = Path(tempfile.mkdtemp(prefix="scorecard-extensions-"))
            atexit.register(shutil.rmtree, _links, True)
        link = _links / f"{name}.duckdb_extension"
        if not link.is_symlink():
            link.symlink_to(built)
        return link


def _load_extensions(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> None:
    loaded = {str(r[0]) for r in con.execute("SELECT extension_name FROM duckdb_extensions() WHERE loaded").fetchall()}
    for name in names:
        if name not in loaded:  # parquet is built into the duckdb wheel on most platforms
            con.execute(f"LOAD {sql_literal(str(extension_file(name)))}")


def _prepare_sqlite_catalog(path: Path) -> None:
    """Create the catalog file in write-ahead-log mode, so readers in other processes never block a commit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


def _lake_error(backend: Backend, exc: duckdb.Error) -> Exception:
    """What went wrong opening a lake, said so that the reader knows what to change."""
    text = str(exc)
    where = backend.describe()
    if "does not match existing data path" in text:
        stored = re.search(r'in the catalog "([^"]*)"', text)
        return BadDatabaseSpec(
            f"The lake {where} keeps its data files in {stored.group(1) if stored else 'another folder'}, "
            f"but this process was told {backend.data_path}: set {DATA_PATH_ENV} to the lake's folder "
            "(every process of one lake uses the same one)."
        )
    if backend.kind == LAKE_POSTGRES and re.search(r"connect|connection|could not translate host", text, re.I):
        return DatabaseUnavailable(
            f"Cannot reach the PostgreSQL catalog of {where}: {text.splitlines()[-1] if text else exc!r}. "
            "Check that PostgreSQL is running and that SCORECARD_DB names its database, host, port and user."
        )
    return DatabaseUnavailable(f"Cannot open the lake {where}: {text}")


# -- the lock that spans processes ----------------------------------------------
class _ProcessLock(Protocol):
    def acquire(self, wait_s: float) -> None: ...
    def release(self) -> None: ...
    def close(self) -> None: ...


class _NoProcessLock:
    """A DuckDB file is opened read-write by one process only: the in-process lock suffices."""

    def acquire(self, wait_s: float) -> None:
        pass

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


class _LockFile:
    """An exclusive `flock` on a file beside a SQLite catalog: one writer at a time on this machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, wait_s: float) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait_s
        pause = 0.002
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(_busy_message(wait_s)) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _AdvisoryLock:
    """A session-level PostgreSQL advisory lock on a connection of its own: one writer at a time, on any machine.

    Session level, not transaction level: the lock must outlast DuckLake's own
    catalog transactions, which run on DuckDB's connections, not this one.
    """

    def __init__(self, conninfo: str, where: str) -> None:
        self.conninfo = conninfo
        self.where = where
        self._con: Any = None

    def _connect(self, wait_s: float) -> Any:
        import psycopg  # only a PostgreSQL catalog needs it

        try:
            con = psycopg.connect(self.conninfo, autocommit=True, application_name="team-scorecard write lock")
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(
                f"Cannot reach the PostgreSQL catalog of {self.where} for the write lock: {str(exc).strip()}. "
                "Check that PostgreSQL is running and that SCORECARD_DB names it."
            ) from exc
        con.execute("SELECT set_config('lock_timeout', %s, false)", [f"{int(wait_s * 1000)}ms"])
        return con

    def acquire(self, wait_s: float) -> None:
        import psycopg

        for attempt in (1, 2):
            if self._con is None or self._con.closed:
                self._con = self._connect(wait_s)
            try:
                self._con.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
                return
            except psycopg.errors.LockNotAvailable:
                raise DatabaseBusy(_busy_message(wait_s)) from None
            except psycopg.OperationalError:
                # The server restarted or the connection dropped (and its lock with it): connect again once.
                self._drop()
                if attempt == 2:
                    raise

    def release(self) -> None:
        if self._con is None or self._con.closed:
            return  # a closed session holds no lock
        try:
            self._con.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
        except Exception:
            log.warning("releasing the write lock failed; closing its connection releases it", exc_info=True)
            self._drop()

    def _drop(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            finally:
                self._con = None

    def close(self) -> None:
        self._drop()


def _busy_message(wait_s: float) -> str:
    return (
        f"Another Team Scorecard process has been writing for over {wait_s:.0f} s, so this change was not saved. "
        "Try again in a minute; if it keeps happening, look for a stuck import on the other app servers."
    )


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


# -- what each write changed ---------------------------------------------------------------
# A statement that changes a table, and that table (a name, maybe quoted or qualified).
_WRITE_TARGET = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|ALTER\s+TABLE"
    r"|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?"
    r"|COPY|MERGE\s+INTO)\s+((?:\"[^\"]+\"|\w+)(?:\.(?:\"[^\"]+\"|\w+))*)",
    re.IGNORECASE,
)
# Any word that may start a change: more of them than targets found means "could not tell".
_WRITE_WORD = re.compile(
    r"\b(?:INSERT|UPDATE|DELETE|TRUNCATE|ALTER|DROP|CREATE|COPY|MERGE|ATTACH|DETACH|CALL|IMPORT|CHECKPOINT)\b",
    re.IGNORECASE,
)
_STRING = re.compile(r"'(?:[^']|'')*'")
_COMMENT = re.compile(r"--[^\n]*")
EVERY_TABLE = "*"
# What a write's cursor may be asked besides execute: reads of the last result and
# registering frames. Anything else is taken to change every table.
_CURSOR_READS = frozenset(
    {"fetchall", "fetchone", "fetchmany", "fetchnumpy", "fetchdf", "df", "pl", "arrow", "fetch_arrow_table",
     "to_arrow_table", "fetch_record_batch", "to_arrow_reader", "description", "rowcount", "register", "unregister"}
)  # fmt: skip


def tables_written(sql: str) -> set[str]:
    """The tables a statement changes, lower-cased and unqualified; {'*'} when it cannot tell."""
    # String literals and comments name no table: a word there would only blur the answer.
    sql = _COMMENT.sub(" ", _STRING.sub("''", sql))
    targets = {m.group(1).split(".")[-1].strip('"').lower() for m in _WRITE_TARGET.finditer(sql)}
    if len(_WRITE_WORD.findall(sql)) > len(_WRITE_TARGET.findall(sql)):
        targets.add(EVERY_TABLE)
    return targets


class _TrackedCursor:
    """A write's cursor that notes which tables its statements change (see `Store.write`)."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, *, hands_over: bool = False) -> None:
        self._cur = cur
        self.written: set[str] = set()
        self.activity_from: list[date | None] = []  # what log_activity_change was told
        # The raw events of the days the write changed, as they stand after it (see
        # `log_activity_change`); None once some change could not hand its days over.
        self.handed: dict[date, pl.DataFrame] | None = {} if hands_over else None

    def hand_over(self, first: date | None, last: date | None, read: Callable[[], pl.DataFrame] | None) -> None:
        """Keep the events of days first..last, read now, or give up handing any over."""
        if self.handed is None:
            return
        if first is None or last is None or read is None or (last - first).days >= HANDOVER_DAYS:
            self.handed = None
            return
        events = read()
        days = events.get_column("occurred_at").dt.date()
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            self.handed[day] = events.filter(days == day)  # a later change of the same day replaces it

    def execute(self, query: str, parameters: Params = None) -> _TrackedCursor:
        self.written |= tables_written(query)
        self._cur.execute(query, parameters)
        return self

    def executemany(self, query: str, parameters: Params = None) -> _TrackedCursor:
        self.written |= tables_written(query)
        self._cur.executemany(query, parameters)
        return self

    def sql(self, query: str, *, alias: str = "", params: Params = None) -> duckdb.DuckDBPyRelation:
        self.written |= tables_written(query)
        return self._cur.sql(query, alias=alias, params=params)

    def __getattr__(self, name: str) -> Any:
        if name not in _CURSOR_READS:
            self.written.add(EVERY_TABLE)
        return getattr(self._cur, name)


def _log_own(cur: duckdb.DuckDBPyConnection, tracked: _TrackedCursor) -> Changes | None:
    """Log, in the write's own transaction, which tables it changed (temporary ones aside).

    Returns what the write changed, as `changes_after` would read it back, or
    None when it changed nothing.
    """
    kept = sorted(name for name in tracked.written if not name.startswith("_"))
    if kept:
        _log_change(cur, "tables", kept, None)
    if not kept and not tracked.activity_from:
        return None
    last = cur.execute("SELECT max(change_id) FROM changes").fetchall()[0][0]
    return Changes(last_id=int(last), tables=frozenset(kept), activity=False, from_day=None).with_activity(
        tracked.activity_from
    )


def _log_change(cur: duckdb.DuckDBPyConnection, kind: str, tables: list[str] | None, from_day: date | None) -> None:
    # Under the write lock this is the only writer, so the next id is max + 1.
    cur.execute(
        "INSERT INTO changes SELECT coalesce(max(change_id), 0) + 1, ?, ?, ? FROM changes", [kind, tables, from_day]
    )


def log_activity_change(
    cur: duckdb.DuckDBPyConnection,
    from_day: date | None,
    through_day: date | None = None,
    read_days: Callable[[], pl.DataFrame] | None = None,
) -> None:
    """Record, inside the caller's write, that activity changed from `from_day` on (None: on every day).

    Every write that changes events or rollups must say so (scorecard.rollups
    does): readers keep what they derived from earlier days (docs/live-pages.md).
    When the change lies within days from_day..through_day, `read_days` reads
    their raw events (with an `occurred_at` column) as the write leaves them;
    on a lake, where a reader pays a catalog round trip for them, the write
    reads them and hands them to this process's readers (`Store.days_written`).
    """
    if isinstance(cur, _TrackedCursor):
        cur.activity_from.append(from_day)
        cur.hand_over(from_day, through_day, read_days)
    _log_change(cur, "activity", None, from_day)


@dataclass(frozen=True)
class Changes:
    """What the writes after some change id changed, as one reader needs it."""

    last_id: int  # the newest change id seen (the one asked after, when there is none)
    tables: frozenset[str]  # every table they changed ('*': some write could not tell)
    activity: bool  # whether any changed activity
    from_day: date | None  # the first day of activity any changed; None with `activity`: every day

    @staticmethod
    def none(last_id: int) -> Changes:
        """No change, the newest seen being `last_id`."""
        return Changes(last_id=last_id, tables=frozenset(), activity=False, from_day=None)

    def touch(self, tables: frozenset[str]) -> bool:
        """Whether any of `tables` may have changed."""
        return EVERY_TABLE in self.tables or not self.tables.isdisjoint(tables)

    def with_activity(self, days: Sequence[date | None]) -> Changes:
        """These changes and activity changed from each of `days` on (None: on every day)."""
        if not days:
            return self
        every = (self.activity and self.from_day is None) or any(day is None for day in days)
        known = [day for day in days if day is not None] + ([self.from_day] if self.from_day is not None else [])
        return Changes(self.last_id, self.tables, True, None if every else min(known))

    @staticmethod
    def combined(change_id: int, parts: Sequence[Changes]) -> Changes:
        """Several writes' changes after `change_id`, as one."""
        out = Changes.none(change_id)
        for part in parts:
            tables = out.tables | part.tables
            merged = Changes(max(out.last_id, part.last_id), tables, out.activity, out.from_day)
            out = merged.with_activity([part.from_day]) if part.activity else merged
        return out


# A write on a lake hands the raw events of the days it changed to this process's readers
# when they span at most this many days, as a day's or a week's upload does.
HANDOVER_DAYS = 7
# How many idle cursors a store keeps for its read helpers: about one per thread that reads at once.
_IDLE_CURSORS = 8
# How many of its own writes a store remembers the changes of.
_OWN_KEPT = 256


def changes_after(db: Reads, change_id: int) -> Changes:
    """What changed after `change_id` (0: since the database began), in one query."""
    row = db.fetchone(
        """
        SELECT max(change_id),
               count(*) FILTER (WHERE kind = 'activity'),
               min(from_day) FILTER (WHERE kind = 'activity'),
               bool_or(from_day IS NULL) FILTER (WHERE kind = 'activity'),
               flatten(list(tables) FILTER (WHERE kind = 'tables'))
        FROM changes WHERE change_id > ?
        """,
        [change_id],
    )
    if row is None or row[0] is None:
        return Changes.none(change_id)
    last_id, activity_rows, first_day, every_day, tables = row
    return Changes(
        last_id=int(last_id),
        tables=frozenset(tables or ()),
        activity=bool(activity_rows),
        from_day=None if every_day else first_day,
    )


class Reads(Protocol):
    """What a read needs: a Store, or a Snapshot of one (`Store.reading`)."""

    def fetchall(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]: ...
    def fetchone(self, sql: str, params: Params = None) -> tuple[Any, ...] | None: ...
    def scalar(self, sql: str, params: Params = None) -> Any: ...
    def frame(self, sql: str, params: Params = None) -> pl.DataFrame: ...


class Snapshot:
    """Reads on one cursor inside one read transaction (see `Store.reading`)."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur

    def fetchall(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        return self._cur.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Params = None) -> tuple[Any, ...] | None:
        return self._cur.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Params = None) -> Any:
        row = self.fetchone(sql, params)
        return None if row is None else row[0]

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        return _frame(self._cur, sql, params)


def _frame(cur: duckdb.DuckDBPyConnection, sql: str, params: Params) -> pl.DataFrame:
    # execute, not sql(): a relation built with parameters is materialised
    # first and then converted, 10-30x slower for a frame of many rows.
    result: pl.DataFrame = cur.execute(sql, params).pl()
    return result


# -- the store -------------------------------------------------------------------
class Store:
    """A database with its schema migrated, one connection, and a write lock."""

    def __init__(
        self, path: Path | str | None = None, *, read_only: bool = False, data_path: Path | str | None = None
    ) -> None:
        self.backend = backend_for(path, data_path)
        # The canonical name: what `open_store` keys on and what other modules hand back to it.
        self.path = Path(self.backend.spec)
        self.read_only = read_only
        if not read_only:
            private_files()
            if self.backend.is_lake:
                assert self.backend.data_path is not None
                self.backend.data_path.mkdir(parents=True, exist_ok=True)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = self._connect()
        self._write_lock = threading.RLock()
        self._process_lock = self._new_process_lock()
        self._lock_depth = 0  # writes nested on one thread take the process lock once
        # Every query holds a slot for as long as its cursor is in use; `quiesced` waits until
        # none is, and new ones wait while the file is closed, so no query meets a closed file.
        self._slots = threading.Condition()
        self._in_use = 0
        self._quiescing = False
        self._idle: list[duckdb.DuckDBPyConnection] = []  # cursors the read helpers reuse
        self._closed = False
        # Identifies the open history in cache keys: a restore swaps in another
        # history under the same path, so (path, version) alone could collide.
        self.token = uuid.uuid4().hex
        self._own_lock = threading.Lock()
        self._own: dict[int, Changes] = {}  # data version -> what this process's write to it changed
        self._handed: tuple[int, Mapping[date, pl.DataFrame]] | None = None  # see `days_written`
        self._changed = threading.Condition()
        self._waiting = 0  # threads in wait_for_change; a lake is polled only while there are some
        self._poller: threading.Thread | None = None
        self._stop_polling = threading.Event()
        self._checked_at = 0.0
        try:
            if not read_only:
                if not self.backend.is_lake:
                    _owner_only(self.path)
                self._migrate()
            else:
                self._check_is_ours()
            self._version = self._read_version()
        except BaseException:
            self.close()
            raise
        self._checked_at = time.monotonic()

    @property
    def is_lake(self) -> bool:
        return self.backend.is_lake

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self.backend.is_lake:
            return self._connect_lake()
        try:
            return duckdb.connect(str(self.path), read_only=self.read_only, config=dict(_NO_AUTOMATIC_EXTENSIONS))
        except duckdb.IOException as exc:
            if _held_by_another_process(exc):
                raise DatabaseLocked(
                    f"{self.path} is in use by another process (normally the running app). "
                    "Upload through the app's Upload page, or drop the file into data/inbox/. "
                    "To run several app processes on one database, use a DuckLake (docs/scale-out.md)."
                ) from exc
            if "newer version of duckdb" in str(exc).lower():
                raise FileFromNewerDuckDB(
                    f"{self.path} was written by a newer DuckDB (2.0, which earlier builds of this app used) "
                    "and this build runs DuckDB 1.5.5. Nothing was changed. Convert it once, as "
                    "docs/scale-out.md ('A file written by DuckDB 2.0') shows, then start again."
                ) from exc
            raise

    def _connect_lake(self) -> duckdb.DuckDBPyConnection:
        backend = self.backend
        assert backend.data_path is not None
        con = duckdb.connect(config=dict(_NO_AUTOMATIC_EXTENSIONS))
        try:
            _load_extensions(con, ("parquet", "ducklake", _CATALOG_EXTENSION[backend.kind]))
            if backend.kind == LAKE_SQLITE:
                catalog_file = Path(backend.catalog.removeprefix("sqlite:"))
                if self.read_only and not catalog_file.exists():
                    raise NotAScorecardDatabase(f"{catalog_file} does not exist: there is no lake to read there")
                if not self.read_only:
                    _prepare_sqlite_catalog(catalog_file)
            # ATTACH takes no parameters: the spec and folder come from our own configuration, quoted as literals.
            options = [f"DATA_PATH {sql_literal(str(backend.data_path) + os.sep)}"]
            if self.read_only:
                options.append("READ_ONLY")
            con.execute(
                f"ATTACH {sql_literal(LAKE_PREFIX + backend.catalog)} AS {LAKE_ALIAS} ({', '.join(options)})"
            )
        except duckdb.Error as exc:
            con.close()
            raise _lake_error(backend, exc) from exc
        except BaseException:
            con.close()
            raise
        return con

    def _new_process_lock(self) -> _ProcessLock:
        if self.backend.kind == LAKE_SQLITE:
            return _LockFile(Path(self.backend.catalog.removeprefix("sqlite:") + ".write-lock"))
        if self.backend.kind == LAKE_POSTGRES:
            return _AdvisoryLock(self.backend.catalog.removeprefix("postgres:"), self.backend.describe())
        return _NoProcessLock()

    def _new_cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._con.cursor()
        if self.backend.is_lake:
            # The default database is per cursor in DuckDB: every cursor reads and writes the lake unqualified.
            cur.execute(f"USE {LAKE_ALIAS}")
        return cur

    # -- reading -----------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor: DuckDB cursors are cheap and safe to use one per thread.

        A bare cursor is not protected across a restore; the methods below use `_cursor`, which is.
        """
        with self._slots:
            while self._quiescing:
                self._slots.wait()
            return self._new_cursor()

    @contextmanager
    def _slot(self) -> Iterator[None]:
        """Hold a slot while a cursor is in use: `quiesced` waits for none to be, and new ones wait while it runs."""
        with self._slots:
            while self._quiescing:
                self._slots.wait()
            self._in_use += 1
        try:
            yield
        finally:
            with self._slots:
                self._in_use -= 1
                self._slots.notify_all()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._slot(), self._new_cursor() as cur:
            yield cur

    @contextmanager
    def _read_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one autocommitted statement, reused from the idle ones when there is one.

        On a lake a new cursor costs a catalog round trip (its `USE` opens a
        transaction), so the read helpers below keep a few. Only they do: a
        cursor that ran a transaction or registered a frame is not handed on.
        """
        with self._slot():
            with self._slots:
                cur = self._idle.pop() if self._idle else None
            if cur is None:
                cur = self._new_cursor()
            try:
                yield cur
            except BaseException:
                cur.close()
                raise
            # Given back while the slot is still held, so `quiesced` never finds it among the idle ones too late.
            with self._slots:
                if len(self._idle) < _IDLE_CURSORS and not self._closed:
                    self._idle.append(cur)
                    return
            cur.close()

    def _drop_idle_cursors(self) -> None:
        with self._slots:
            idle, self._idle = self._idle, []
        for cur in idle:
            with suppress(duckdb.Error):
                cur.close()

    def fetchall(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        with self._read_cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Params = None) -> tuple[Any, ...] | None:
        with self._read_cursor() as cur:
            return cur.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Params = None) -> Any:
        row = self.fetchone(sql, params)
        return None if row is None else row[0]

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        """Run a query and return its result as a Polars frame."""
        with self._read_cursor() as cur:
            return _frame(cur, sql, params)

    # -- the data version ----------------------------------------------------
    def data_version(self) -> int:
        """A number that grows with every committed write.

        On a file this process owns it read-write, so every commit passes
        through `write()` and the counter is exact without a query: pages ask
        for it many times per run, and open pages ask on every change. On a
        lake it is the lake's snapshot id, which other processes move too: it
        is read again when the last reading is older than VERSION_POLL_S.
        """
        if self.backend.is_lake and not self._closed and time.monotonic() - self._checked_at >= VERSION_POLL_S:
            self._refresh_version()
        return self._version

    def writes(self) -> int:
        """How many writes have been committed, by any process (migrations do not count)."""
        return int(self.scalar("SELECT value FROM meta WHERE key = 'data_version'") or 0)

    def _read_version(self) -> int:
        if self.backend.is_lake:
            return int(self.scalar(f"SELECT id FROM ducklake_current_snapshot({sql_literal(LAKE_ALIAS)})") or 0)
        return int(self.scalar("SELECT value FROM meta WHERE key = 'data_version'") or 0)

    def _refresh_version(self) -> None:
        """Read the lake's newest snapshot and announce it when another process moved it on."""
        self._checked_at = time.monotonic()
        version = self._read_version()
        if version > self._version:
            self._announce(version)

    def wait_for_change(self, seen: int, timeout_s: float) -> int:
        """Block until the data version differs from `seen` (or the timeout, or close); returns it."""
        with self._changed:
            if self.backend.is_lake:
                self._waiting += 1
                if self._poller is None:
                    poller = threading.Thread(target=self._poll, name="lake-version", daemon=True)
                    poller.start()  # before it is published, so close() never joins a thread not yet started
                    self._poller = poller
                    _polling.add(self)
            try:
                self._changed.wait_for(lambda: self._version != seen or self._closed, timeout_s)
                return self._version
            finally:
                if self.backend.is_lake:
                    self._waiting -= 1

    def _poll(self) -> None:
        """While anyone waits for a change, notice commits made by other processes."""
        while not self._stop_polling.wait(VERSION_POLL_S):
            with self._changed:
                if self._closed or self._waiting == 0:
                    self._poller = None
                    return
            try:
                self._refresh_version()
            except Exception:  # a lost catalog connection must not end the polling for good
                if not self._closed:
                    log.warning("reading the lake's snapshot failed; trying again", exc_info=True)
        self._poller = None

    def _announce(self, version: int) -> None:
        with self._changed:
            self._version = max(self._version, version) if self.backend.is_lake else version
            self._changed.notify_all()

    # -- writing -----------------------------------------------------------
    @contextmanager
    def _one_writer(self) -> Iterator[None]:
        """The in-process lock, then (once per thread) the lock shared with every other process."""
        with self._write_lock:
            if self._lock_depth == 0:
                self._process_lock.acquire(WRITE_LOCK_WAIT_S)
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0:
                    self._process_lock.release()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction under the write lock, which on a lake every process shares.

        Commits and announces the new data version when the block exits
        normally; rolls back and re-raises otherwise, so a failed write leaves
        nothing. The transaction starts after the lock is held, so it sees
        every commit of every earlier writer (docs/scale-out.md).
        """
        if self.read_only:
            raise PermissionError(f"{self.backend.describe()} is open read-only")
        with self._one_writer(), self._cursor() as cur:
            cur.begin()
            try:
                # On a lake, the snapshot this write starts from: if the commit is the next one, it is ours.
                started = self._lake_snapshot(cur) if self.backend.is_lake else None
                tracked = _TrackedCursor(cur, hands_over=self.backend.is_lake)
                yield cast(duckdb.DuckDBPyConnection, tracked)
                own = _log_own(cur, tracked)
                # The count of writes, on every backend (`writes()`); on a file it is the data version too.
                cur.execute(
                    "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'"
                )
                row = cur.execute("SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'data_version'").fetchall()[0]
                cur.commit()
            except BaseException as exc:
                with suppress(duckdb.Error):  # a failed commit has rolled back already
                    cur.rollback()
                if _is_conflict(exc):
                    raise WriteConflict(
                        "Another program changed the lake at the same moment, so nothing was saved: try again. "
                        "(Team Scorecard's own processes take turns; only a program outside the app can cause this.)"
                    ) from exc
                raise
            if self.backend.is_lake:
                # Still under the lock: the newest snapshot is this commit's.
                self._checked_at = time.monotonic()
                committed = self._read_version()
                ours = committed if started is not None and committed == started + 1 else None
                self._remember_own(ours, own, tracked.handed)
                self._announce(committed)
            else:
                committed = int(row[0]) if row else self._version + 1
                self._remember_own(committed, own, tracked.handed)
                self._announce(committed)

    def _lake_snapshot(self, cur: duckdb.DuckDBPyConnection) -> int:
        sql = f"SELECT id FROM ducklake_current_snapshot({sql_literal(LAKE_ALIAS)})"
        return int(cur.execute(sql).fetchall()[0][0] or 0)

    def _remember_own(
        self, version: int | None, changes: Changes | None, handed: Mapping[date, pl.DataFrame] | None
    ) -> None:
        """Keep what this process's write to `version` changed (None: the version is not surely ours),
        and the days it handed over."""
        if version is None:
            return
        with self._own_lock:
            self._own[version] = changes or Changes.none(0)
            while len(self._own) > _OWN_KEPT:
                del self._own[next(iter(self._own))]
            if handed:
                self._handed = (version, handed)

    def days_written(self, version: int) -> Mapping[date, pl.DataFrame]:
        """The raw events of the days the write that made `version` changed, as it left them.

        Only for a write of this process that handed them over (`log_activity_change`);
        empty for any other version.
        """
        with self._own_lock:
            handed = self._handed
        return handed[1] if handed is not None and handed[0] == version else {}

    def changes_between(self, version: int, change_id: int, now: int) -> Changes:
        """What changed from data version `version` (its newest change `change_id`) to version `now`.

        Known without a query when every version in between is a write of this
        process (always, on a file); else read from the log (`changes_after`).
        """
        with self._own_lock:
            own = [self._own.get(v) for v in range(version + 1, now + 1)] if 0 <= now - version <= _OWN_KEPT else [None]
        if all(part is not None for part in own):
            return Changes.combined(change_id, [part for part in own if part is not None])
        return changes_after(self, change_id)

    def retrying(self, work: Callable[[duckdb.DuckDBPyConnection], T], attempts: int = CONFLICT_ATTEMPTS) -> T:
        """Run `work(cur)` in one write, again (up to `attempts` in all) when its commit lost a conflict."""
        for attempt in range(1, attempts + 1):
            try:
                with self.write() as cur:
                    return work(cur)
            except WriteConflict:
                if attempt == attempts:
                    raise
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    def maintenance(self) -> None:
        """Tidy the storage with the documented windows (see `maintain`)."""
        self.maintain()

    def copy_to(self, target: Path) -> None:
        """Copy the whole database into a new file at `target`, as one consistent snapshot.

        `COPY FROM DATABASE` runs as one read transaction, so the copy is
        consistent while the app keeps writing; copying the live file's bytes
        would miss commits still in the write-ahead log.
        """
        self._file_only("copying the database to one file")
        source = str(self.scalar("SELECT current_database()"))
        # A fresh alias, so concurrent copies never collide.
        alias = f"scorecard_copy_{uuid.uuid4().hex}"
        with self._cursor() as cur:
            cur.execute(f"ATTACH {sql_literal(str(target))} AS {alias}")
            try:
                cur.execute(f"COPY FROM DATABASE {_quote_identifier(source)} TO {alias}")
            finally:
                # Detaching checkpoints the copy, so the single file is complete.
                cur.execute(f"DETACH {alias}")

    def _file_only(self, what: str) -> None:
        if self.backend.is_lake:
            raise NotOnDuckLake(
                f"{what[0].upper()}{what[1:]} works on a database file only, and {self.backend.describe()} is a DuckLake: "
                "back a lake up with its catalog database's own backup plus a copy of its data folder (docs/scale-out.md)."
            )

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
        self._file_only("replacing the database")
        with self._write_lock:
            with self._slots:
                self._quiescing = True
                self._slots.wait_for(lambda: self._in_use == 0)
            try:
                self._drop_idle_cursors()
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
        self._stop_pollers()
        self._drop_idle_cursors()
        self._con.close()
        self._process_lock.close()

    def _stop_pollers(self) -> None:
        poller = self._poller
        if poller is not None and poller is not threading.current_thread() and poller.ident is not None:
            # A lake's poller may be inside a query: let it finish before the connection goes.
            self._stop_polling.set()
            poller.join(5.0)

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
            raise NotAScorecardDatabase(f"{self.backend.describe()} is not a Team Scorecard database") from exc

    def _migrate(self) -> None:
        """Apply forward-only migrations; each one in its own transaction.

        On a lake the DDL is translated (no keys, uniques or sequences there,
        `_schema.for_ducklake`), and the shared write lock makes the first of
        several starting processes migrate while the others wait and then find it done.
        """
        lake = self.backend.is_lake
        with self._one_writer(), self._cursor() as cur:
            if lake:
                # A lake commit costs a catalog round trip and a snapshot: every pending migration goes in one.
                cur.begin()
            try:
                cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)")
                current = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
                done = int(current[0]) if current else 0
                for version, statements in enumerate(MIGRATIONS, start=1):
                    if version <= done:
                        continue
                    if not lake:
                        cur.begin()
                    for statement in statements:
                        sql = for_ducklake(statement) if lake else statement
                        if sql is not None:
                            cur.execute(sql)
                    cur.execute("INSERT INTO schema_version VALUES (?, current_timestamp::TIMESTAMP)", [version])
                    if not lake:
                        cur.commit()
                if lake:
                    cur.commit()
            except BaseException:
                with suppress(duckdb.Error):
                    cur.rollback()
                raise

    # -- compaction and clean-up (docs/scale-out.md, "Maintenance") ------------------------------------------
    def maintain(
        self,
        *,
        keep_snapshots: timedelta | None = None,
        keep_files: timedelta | None = None,
        unless_done_within: timedelta | None = None,
        now: datetime | None = None,
    ) -> MaintenanceRun:
        """Tidy the storage under the write lock, so it never overlaps a write of any process.

        A file is checkpointed. A lake moves rows kept inside its catalog out
        to Parquet, merges adjacent small files, rewrites files that are
        mostly deleted rows, forgets snapshots older than `keep_snapshots`,
        and deletes files that no snapshot has needed for `keep_files` (and
        files no commit ever claimed, left by a writer that died), so a query
        still reading an older snapshot never loses its files.

        `unless_done_within`: skip when any process finished a run more
        recently than that (read under the lock from `meta`), so of several
        replicas on one schedule one does the work and the others find it done.
        `now` (UTC, default the clock) is when the run counts as done and where the windows end.
        """
        if self.read_only:
            raise PermissionError(f"{self.backend.describe()} is open read-only")
        keep_snapshots = KEEP_SNAPSHOTS if keep_snapshots is None else keep_snapshots
        keep_files = KEEP_FILES if keep_files is None else keep_files
        started = time.monotonic()
        with self._one_writer():
            if not self.backend.is_lake:
                with self._cursor() as cur:
                    cur.execute("CHECKPOINT")
                return MaintenanceRun(True, 0, 0, 0, 0, time.monotonic() - started)
            now = now or datetime.now(UTC)
            last = self.scalar("SELECT value FROM meta WHERE key = ?", [MAINTAINED_AT_KEY])
            if unless_done_within is not None and last:
                with suppress(ValueError):
                    if now - datetime.fromisoformat(str(last)) < unless_done_within:
                        return MaintenanceRun(False, 0, 0, 0, 0, time.monotonic() - started)
            files_before = self.lake_file_count()
            alias = sql_literal(LAKE_ALIAS)

            def cutoff(window: timedelta) -> str:
                # Each window ends when its step starts: a file this run's expiry made unneeded
                # has been unneeded for zero seconds by the time the clean-up looks at it.
                assert now is not None
                return self._cutoff(now + timedelta(seconds=time.monotonic() - started), window)

            self._lake_call(f"ducklake_flush_inlined_data({alias})")
            self._lake_call(f"ducklake_merge_adjacent_files({alias})")
            self._lake_call(f"ducklake_rewrite_data_files({alias})")
            expired = self._lake_call(
                f"ducklake_expire_snapshots({alias}, older_than => CAST(? AS TIMESTAMPTZ))", [cutoff(keep_snapshots)]
            )
            deleted = self._lake_call(
                f"ducklake_cleanup_old_files({alias}, older_than => CAST(? AS TIMESTAMPTZ))", [cutoff(keep_files)]
            )
            deleted += self._lake_call(
                f"ducklake_delete_orphaned_files({alias}, older_than => CAST(? AS TIMESTAMPTZ))", [cutoff(keep_files)]
            )
            files_after = self.lake_file_count()

            def mark(cur: duckdb.DuckDBPyConnection) -> None:
                upsert(cur, "meta", ("key",), {"key": MAINTAINED_AT_KEY, "value": now.isoformat()})

            self.retrying(mark)
        self._refresh_version()
        return MaintenanceRun(True, files_before, files_after, expired, deleted, time.monotonic() - started)

    def lake_file_count(self) -> int:
        """How many Parquet files (data and deletions) the lake's newest snapshot reads; 0 for a file."""
        if not self.backend.is_lake:
            return 0
        tables = [str(r[0]) for r in self.fetchall("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [LAKE_ALIAS])]
        total = 0
        for table in tables:
            total += int(
                self.scalar(
                    "SELECT count(*) + count(delete_file) FROM ducklake_list_files(?, ?)", [LAKE_ALIAS, table]
                )
                or 0
            )
        return total

    def _cutoff(self, now: datetime, window: timedelta) -> str:
        """`window` before `now`, as DuckLake's maintenance takes a time (text, UTC).

        A SQLite catalog compares these times by calendar day only (anything
        from the cutoff's day counts as older), so there the cutoff goes back
        to the end of the day before: nothing younger than `window` is ever
        expired or deleted. A zero window needs no such care: nothing is newer than now.
        """
        moment = now - window
        if self.backend.kind == LAKE_SQLITE and window > timedelta(0):
            moment = datetime.combine(moment.date(), dt_time.min, UTC) - timedelta(microseconds=1)
        return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}+00"

    def _lake_call(self, call: str, params: Params = None) -> int:
        """Run one of DuckLake's maintenance functions (the caller holds the write lock); how many rows it reported."""
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                with self._cursor() as cur:
                    return int(cur.execute(f"SELECT count(*) FROM {call}", params).fetchall()[0][0])
            except duckdb.TransactionException as exc:
                if not _is_conflict(exc) or attempt == CONFLICT_ATTEMPTS:
                    raise
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    @contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """Reads that all see one committed state, in one transaction.

        Cheaper than as many separate reads on a lake, where each query looks
        its snapshot up in the catalog first.
        """
        with self.snapshot() as cur:
            yield Snapshot(cur)

    # -- whole-database reads (moving a team between backends, scorecard/move.py) -----------------------------
    @contextmanager
    def snapshot(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one read transaction: every query on it sees the same committed state."""
        with self._cursor() as cur:
            cur.begin()
            try:
                yield cur
            finally:
                with suppress(duckdb.Error):
                    cur.rollback()

    def sequence_last_values(self) -> dict[str, int]:
        """The last id each sequence of `_schema.SEQUENCES` handed out (0: none), from the file's sequences
        or the lake's counters, and never below the highest id stored."""
        found: dict[str, int] = {}
        for sequence, (table, column) in SEQUENCES.items():
            if self.backend.is_lake:
                counter = self.scalar("SELECT max(CAST(value AS BIGINT)) FROM meta WHERE key = ?", [f"next_id:{sequence}"])
            else:
                row = self.fetchone(
                    "SELECT start_value, last_value FROM duckdb_sequences() "
                    "WHERE sequence_name = ? AND database_name = current_database()",
                    [sequence],
                )
                counter = last_handed_out(row[0], row[1]) if row else 0
            stored = self.scalar(f"SELECT max({_quote_identifier(column)}) FROM {_quote_identifier(table)}")
            found[sequence] = max(int(counter or 0), int(stored or 0))
        return found


# 2**127, and 10**19: the pieces of a 128-bit key's decimal text (see `key_as_stored`).
_HALF_UHUGEINT = "CAST(170141183460469231731687303715884105728 AS UHUGEINT)"
_TEN_TO_19 = "CAST(10000000000000000000 AS UHUGEINT)"


def key_as_stored(cur: duckdb.DuckDBPyConnection, expression: str, table: str = "events") -> str:
    """SQL for the 128-bit event key `expression` as `table`.event_key stores it: the number on a file, its text on a lake.

    DuckDB's own UHUGEINT-to-text cast takes about 0.1 ms a value, so an import of
    a million rows into a lake would spend minutes on it; this spells the same
    digits through 64- and 127-bit integers, whose casts are fast. Which applies
    is read from the table, like `next_ids`, so callers need not know the backend.
    """
    kind = cur.execute(
        "SELECT data_type FROM duckdb_columns() WHERE database_name = current_database() AND table_name = ? "
        "AND column_name = 'event_key'",
        [table],
    ).fetchall()
    return key_text(expression) if kind and kind[0][0] == "VARCHAR" else expression


def key_text(expression: str) -> str:
    """SQL for the exact decimal text of the UHUGEINT `expression`, fast (see `key_as_stored`)."""
    k = f"({expression})"
    return (
        f"CASE WHEN {k} < {_HALF_UHUGEINT} THEN CAST(CAST({k} AS HUGEINT) AS VARCHAR) "
        f"ELSE CAST(CAST({k} // {_TEN_TO_19} AS HUGEINT) AS VARCHAR) "
        f"|| lpad(CAST(CAST({k} % {_TEN_TO_19} AS UBIGINT) AS VARCHAR), 19, '0') END"
    )


def last_handed_out(start: int | None, last: int | None) -> int:
    """The last id a file's sequence handed out, from `duckdb_sequences()`'s start and last value.

    DuckDB (1.5) writes a sequence to disk as its next value: reopened (or
    copied by COPY FROM DATABASE), it starts at that value and reports it as
    its last value although it has handed out nothing since. Our sequences
    start at 1, so one that starts higher and reports its start has handed
    out the ids below it.
    """
    if last is None:
        return 0
    if start is not None and start > 1 and last == start:
        return int(last) - 1
    return int(last)


def lake_users(location: Path | str, data_path: Path | str | None = None) -> list[str]:
    """The other processes that have the lake named `location` open right now (empty for a file).

    Every read-write store of a lake keeps its write lock's handle open from
    its first migration on: a session on the PostgreSQL catalog database, or
    the lock file beside a SQLite catalog. So an app server on the lake shows
    here even while idle. Call it before opening the lake in this process.
    """
    backend = backend_for(location, data_path)
    if backend.kind == LAKE_POSTGRES:
        import psycopg

        try:
            with psycopg.connect(backend.catalog.removeprefix("postgres:"), autocommit=True) as con:
                rows = con.execute(
                    "SELECT pid, coalesce(application_name, ''), coalesce(host(client_addr), 'local'), backend_start "
                    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                ).fetchall()
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(f"Cannot reach the PostgreSQL catalog of {backend.describe()}: {str(exc).strip()}") from exc
        return [f"a session from {addr} (PostgreSQL pid {pid}, {name or 'unnamed'}, since {since:%Y-%m-%d %H:%M})" for pid, name, addr, since in rows]
    if backend.kind == LAKE_SQLITE:
        catalog = Path(backend.catalog.removeprefix("sqlite:"))
        watched = {str(catalog), str(catalog) + ".write-lock"}
        users = []
        for proc in Path("/proc").glob("[0-9]*"):
            if proc.name == str(os.getpid()):
                continue
            try:
                held = any(os.readlink(fd) in watched for fd in (proc / "fd").iterdir())
            except OSError:  # gone, or another account's: not visible
                continue
            if held:
                users.append(f"process {proc.name}")
        return users
    return []


# The time of the last finished maintenance run, ISO with offset (Store.maintain).
MAINTAINED_AT_KEY = "maintained_at"
# How long a lake keeps old snapshots, and files no snapshot needs any more (docs/scale-out.md, "Maintenance").
# Nothing in the app reads an older snapshot: undo, corrections and parked events are rows of the newest one.
KEEP_SNAPSHOTS = timedelta(days=7)
# A query that started before a merge still reads the files it replaced; none runs for a day.
KEEP_FILES = timedelta(days=1)


@dataclass(frozen=True)
class MaintenanceRun:
    """What one `Store.maintain` did."""

    ran: bool  # False: another process had just done it
    files_before: int  # Parquet files the newest snapshot read (0 on a file)
    files_after: int
    snapshots_expired: int
    files_deleted: int
    seconds: float


# -- writes that hold on every backend -------------------------------------------
Row = Mapping[str, Any]


def _key_match(table: str, alias: str, key: Sequence[str]) -> str:
    return " AND ".join(f"{table}.{_quote_identifier(k)} = {alias}.{_quote_identifier(k)}" for k in key)


def next_ids(cur: duckdb.DuckDBPyConnection, sequence: str, n: int = 1) -> list[int]:
    """`n` new ids of `sequence` (a name in _schema.SEQUENCES), inside the caller's write.

    A file draws them from its sequence. A lake has none: its ids continue
    from a counter row in `meta` (or past the highest id stored, whichever is
    larger), written in the same transaction, which the write lock makes the
    only one allocating. Which applies is read from the database itself, so
    callers that hold only a cursor need not know the backend.
    """
    table, column = SEQUENCES[sequence]
    if n <= 0:
        return []
    has_sequence = cur.execute(
        "SELECT count(*) FROM duckdb_sequences() WHERE sequence_name = ? AND database_name = current_database()",
        [sequence],
    ).fetchall()[0][0]
    if has_sequence:
        rows = cur.execute("SELECT nextval(?) AS id FROM range(?) ORDER BY id", [sequence, n]).fetchall()
        return [int(r[0]) for r in rows]
    counter = f"next_id:{sequence}"
    high = int(
        cur.execute(
            f"SELECT greatest((SELECT coalesce(max({_quote_identifier(column)}), 0) FROM {_quote_identifier(table)}), "
            "(SELECT coalesce(max(CAST(value AS BIGINT)), 0) FROM meta WHERE key = ?))",
            [counter],
        ).fetchall()[0][0]
    )
    upsert(cur, "meta", ("key",), {"key": counter, "value": str(high + n)})
    return list(range(high + 1, high + n + 1))


def upsert(cur: duckdb.DuckDBPyConnection, table: str, key: Sequence[str], rows: Row | pl.DataFrame) -> None:
    """Insert `rows`, replacing stored rows with the same `key`, inside the caller's write.

    The file's INSERT OR REPLACE needs a primary key, which a lake has not:
    deleting by key then inserting, under the write lock and in one
    transaction, keeps one row per key on both. `rows` is one row as a
    mapping, or a frame whose columns are the table's (rows unique by key).
    """
    name = _quote_identifier(table)
    if isinstance(rows, Mapping):
        cur.execute(f"DELETE FROM {name} WHERE " + " AND ".join(f"{_quote_identifier(k)} = ?" for k in key), [rows[k] for k in key])
        _insert_row(cur, name, rows)
        return
    if rows.is_empty():
        return
    with _registered(cur, rows) as view:
        cur.execute(f"DELETE FROM {name} WHERE EXISTS (SELECT 1 FROM {view} r WHERE {_key_match(name, 'r', key)})")
        columns = ", ".join(_quote_identifier(c) for c in rows.columns)
        cur.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {view}")


def insert_missing(cur: duckdb.DuckDBPyConnection, table: str, key: Sequence[str], rows: Row | pl.DataFrame) -> int:
    """Insert those of `rows` whose `key` is not stored yet (the file's INSERT OR IGNORE); returns how many.

    An anti-join under the write lock, so it holds without a unique constraint.
    """
    name = _quote_identifier(table)
    if isinstance(rows, Mapping):
        found = cur.execute(
            f"SELECT count(*) FROM {name} WHERE " + " AND ".join(f"{_quote_identifier(k)} = ?" for k in key),
            [rows[k] for k in key],
        ).fetchall()[0][0]
        if found:
            return 0
        _insert_row(cur, name, rows)
        return 1
    if rows.is_empty():
        return 0
    with _registered(cur, rows) as view:
        columns = ", ".join(_quote_identifier(c) for c in rows.columns)
        missing = f"SELECT {columns} FROM {view} r WHERE NOT EXISTS (SELECT 1 FROM {name} WHERE {_key_match(name, 'r', key)})"
        added = int(cur.execute(f"SELECT count(*) FROM ({missing})").fetchall()[0][0])
        if added:
            cur.execute(f"INSERT INTO {name} ({columns}) {missing}")
        return added


def _insert_row(cur: duckdb.DuckDBPyConnection, name: str, row: Row) -> None:
    columns = ", ".join(_quote_identifier(c) for c in row)
    cur.execute(f"INSERT INTO {name} ({columns}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


@contextmanager
def _registered(cur: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> Iterator[str]:
    view = f"_rows_{uuid.uuid4().hex[:12]}"
    cur.register(view, frame)
    try:
        yield view
    finally:
        cur.unregister(view)


def _held_by_another_process(exc: duckdb.IOException) -> bool:
    # Not just "lock": a corrupt file's message says "block", and that is no reason to blame the app.
    return "could not set lock" in str(exc).lower()


def is_held_by_another_process(path: Path | str) -> bool:
    """True when another process holds the DuckDB file `path` read-write (normally a running app)."""
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.IOException as exc:
        return _held_by_another_process(exc)
    except duckdb.Error:
        return False
    return False


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
# Lakes whose version poller ever ran: a poller still inside a query when the interpreter
# shuts down aborts the process, so every one is stopped at exit, closed store or not.
_polling: weakref.WeakSet[Store] = weakref.WeakSet()


@atexit.register
def _stop_every_poller() -> None:
    for store in list(_polling):
        store._stop_pollers()


@atexit.register
def close_all_stores() -> None:
    """Close every process-wide store at exit, so each file is checkpointed and released cleanly."""
    with _stores_lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()


def open_store(path: Path | str | None = None) -> Store:
    """The process-wide store for a database (a file or a lake): one connection per database per process."""
    resolved = resolve_location(path)
    with _stores_lock:
        store = _stores.get(resolved)
        if store is None:
            store = Store(resolved)
            _stores[resolved] = store
        return store


def forget_store(path: Path | str) -> None:
    """Close and drop the process-wide store for `path` (used by restore and tests)."""
    resolved = resolve_location(path)
    with _stores_lock:
        store = _stores.pop(resolved, None)
    if store is not None:
        store.close()
