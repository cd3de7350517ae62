"""Moving a team between a database file and a DuckLake, either way, losing nothing (docs/scale-out.md, "Moving a team").

`python -m scorecard move --from SOURCE --to TARGET` copies every table, row
for row and column by column name, from one database into another that holds
no team yet, and carries the id counters across so new reps, batches and
events continue past every id the source ever handed out. The rules:

- the source must exist and be a Team Scorecard database of this version's
  schema; it is read as one snapshot;
- nobody may be using the source: a file held by a running app cannot be
  opened, and a lake that another process has open is refused, since what
  that process writes during or after the copy would not be in the target;
- the target may not exist yet (it is created) or may be empty (created and
  migrated, with no team in it); one holding any row is refused;
- everything is written in one transaction on the target: if anything fails,
  nothing of the team is there, and a target the move created is removed.

The source is left as it was: point SCORECARD_DB at the target when done.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from scorecard._schema import MIGRATIONS, SEQUENCES
from scorecard.store import (
    FILE,
    LAKE_SQLITE,
    MAINTAINED_AT_KEY,
    Backend,
    DatabaseLocked,
    Store,
    backend_for,
    is_held_by_another_process,
    is_scorecard_database,
    key_text,
    lake_users,
    log_activity_change,
    upsert,
)

_COUNTER_PREFIX = "next_id:"
_ROWS_PER_BATCH = 100_000


class MoveRefused(RuntimeError):
    """The move cannot start (or could not finish); the message says why and what to do. Nothing was written."""


@dataclass(frozen=True)
class MoveResult:
    source: str
    target: str
    tables: int
    rows: int
    counts: dict[str, int]  # rows per table


def move(source: Path | str, target: Path | str, *, data_path: Path | str | None = None) -> MoveResult:
    """Copy the team in `source` into `target` (see the module's rules); `data_path`: the target lake's folder."""
    src = backend_for(source)
    dst = backend_for(target, data_path)
    if src.spec == dst.spec:
        raise MoveRefused(f"{src.describe()} is both the source and the target; name another target.")
    _check_source_exists(src)
    _check_nobody_uses(src)
    created = _what_target_creates(dst)
    with ExitStack() as stack:
        source_store = stack.enter_context(_open_source(src))
        version = source_store.schema_version()
        if version != len(MIGRATIONS):
            raise MoveRefused(
                f"{src.describe()} has schema version {version}, this version of Team Scorecard {len(MIGRATIONS)}: "
                "open it once with this version (any command, e.g. `python -m scorecard batches --db ...`) and move again."
            )
        try:
            target_store = stack.enter_context(_open_target(dst))
            result = _copy(source_store, target_store)
        except BaseException:
            stack.close()
            _remove(created)
            raise
    return result


# -- before anything is written --------------------------------------------------------------------------
def _check_source_exists(src: Backend) -> None:
    if src.kind == FILE:
        path = Path(src.spec)
        if not path.exists():
            raise MoveRefused(f"{path} does not exist: name the database file the team is in (--from).")
        if not is_scorecard_database(path) and not is_held_by_another_process(path):
            raise MoveRefused(f"{path} is not a Team Scorecard database; nothing was moved.")
    elif src.kind == LAKE_SQLITE:
        catalog = Path(src.catalog.removeprefix("sqlite:"))
        if not catalog.exists():
            raise MoveRefused(f"{catalog} does not exist: there is no lake there to move (--from).")


def _check_nobody_uses(backend: Backend) -> None:
    users = lake_users(backend.spec, backend.data_path)
    if users:
        listed = "; ".join(users[:5]) + ("" if len(users) <= 5 else f"; and {len(users) - 5} more")
        raise MoveRefused(
            f"{backend.describe()} is in use ({listed}). Stop every app server and command on it first: "
            "what they write during or after the move would not be in the target. Nothing was moved."
        )


def _what_target_creates(dst: Backend) -> list[Path]:
    """The files and folders the move would create for the target, removed again if it fails."""
    if dst.kind == FILE:
        path = Path(dst.spec)
        return [] if path.exists() else [path, path.with_name(path.name + ".wal")]
    if dst.kind == LAKE_SQLITE:
        catalog = Path(dst.catalog.removeprefix("sqlite:"))
        if catalog.exists():
            return []
        found = [catalog, *(catalog.with_name(catalog.name + end) for end in ("-wal", "-shm", ".write-lock"))]
        assert dst.data_path is not None
        return found if dst.data_path.exists() else [*found, dst.data_path]
    return []


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextmanager
def _open_source(src: Backend) -> Iterator[Store]:
    try:
        # A file is opened read-write: this process then holds it, so no app starts on it mid-move.
        store = Store(src.spec, read_only=src.kind != FILE, data_path=src.data_path)
    except DatabaseLocked as exc:
        raise MoveRefused(
            f"{src.spec} is in use by another process (normally the running app). Stop the app, then move again: "
            "what it writes during or after the move would not be in the target. Nothing was moved."
        ) from exc
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _open_target(dst: Backend) -> Iterator[Store]:
    try:
        store = Store(dst.spec, data_path=dst.data_path)
    except DatabaseLocked as exc:
        raise MoveRefused(f"{dst.spec} is in use by another process (normally the running app); stop it first.") from exc
    try:
        held = _team_rows(store)
        if held:
            shown = ", ".join(f"{table} {n:,}" for table, n in sorted(held.items())[:6])
            raise MoveRefused(
                f"{dst.describe()} already holds a team ({shown} rows): a move goes into an empty database only. "
                "Name a new file or an empty lake as the target; nothing was moved."
            )
        yield store
    finally:
        store.close()


def _tables(store: Store) -> list[str]:
    return [
        str(r[0])
        for r in store.fetchall(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY table_name"
        )
    ]


def _team_rows(store: Store) -> dict[str, int]:
    """Rows in every table except the bookkeeping the migrations write (schema_version, meta)."""
    held = {}
    for table in _tables(store):
        if table in ("schema_version", "meta", _OWN_HISTORY):
            continue
        n = int(store.scalar(f"SELECT count(*) FROM {_quote(table)}") or 0)
        if n:
            held[table] = n
    return held


# -- the copy -----------------------------------------------------------------------------------------------
def _columns(store: Store, table: str) -> list[tuple[str, str]]:
    return [
        (str(name), str(kind))
        for name, kind in store.fetchall(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND table_name = ? ORDER BY column_index",
            [table],
        )
    ]


# What each write changed is the database's own history, for its readers' memos:
# the target keeps its own, and records that the move changed every day.
_OWN_HISTORY = "changes"


def _copy(source: Store, target: Store) -> MoveResult:
    tables = [table for table in _tables(source) if table != _OWN_HISTORY]
    missing = sorted(set(tables) - set(_tables(target)))
    if missing:
        raise MoveRefused(f"{target.backend.describe()} lacks the tables {', '.join(missing)}; nothing was moved.")
    counts: dict[str, int] = {}
    with source.snapshot() as read:
        last_ids = source.sequence_last_values()  # ids only grow: read at or after the snapshot is never too low
        with target.write() as cur:
            for table in tables:
                counts[table] = _copy_table(read, cur, table, _columns(source, table), dict(_columns(target, table)))
            _carry_ids(cur, target, last_ids)
            log_activity_change(cur, None)
    return MoveResult(source.backend.describe(), target.backend.describe(), len(tables), sum(counts.values()), counts)


def _copy_table(
    read: duckdb.DuckDBPyConnection,
    cur: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[tuple[str, str]],
    target_types: dict[str, str],
) -> int:
    """Replace the target's rows of `table` with the source's, column by name, each cast to the target's type."""
    lost = [name for name, _ in columns if name not in target_types]
    if lost:
        raise MoveRefused(f"the target's {table} lacks the columns {', '.join(lost)}; nothing was moved.")
    # Wide integers travel as their exact decimal text: a lake keeps event keys as text, a file as UHUGEINT.
    picked = ", ".join(
        f"{key_text(_quote(name))} AS {_quote(name)}"
        if kind == "UHUGEINT"
        else f"CAST({_quote(name)} AS VARCHAR) AS {_quote(name)}"
        if kind == "HUGEINT"
        else _quote(name)
        for name, kind in columns
    )
    # The id counters are carried by _carry_ids, in the target's own form; when the target was last
    # maintained is the target's own history, not the team's.
    where = f" WHERE key NOT LIKE '{_COUNTER_PREFIX}%' AND key <> '{MAINTAINED_AT_KEY}'" if table == "meta" else ""
    cur.execute(f"DELETE FROM {_quote(table)}")
    reader = read.execute(f"SELECT {picked} FROM {_quote(table)}{where}").to_arrow_reader(_ROWS_PER_BATCH)
    view = f"_moving_{uuid.uuid4().hex[:12]}"
    cur.register(view, reader)
    try:
        names = ", ".join(_quote(name) for name, _ in columns)
        casts = ", ".join(f"CAST({_quote(name)} AS {target_types[name]})" for name, _ in columns)
        cur.execute(f"INSERT INTO {_quote(table)} ({names}) SELECT {casts} FROM {view}")
    finally:
        cur.unregister(view)
    return int(cur.execute(f"SELECT count(*) FROM {_quote(table)}").fetchall()[0][0])


def _carry_ids(cur: duckdb.DuckDBPyConnection, target: Store, last_ids: dict[str, int]) -> None:
    """New ids in the target continue past every id the source handed out (a lake's counters, a file's sequences)."""
    for sequence in SEQUENCES:
        last = last_ids.get(sequence, 0)
        if target.is_lake:
            upsert(cur, "meta", ("key",), {"key": f"{_COUNTER_PREFIX}{sequence}", "value": str(last)})
        elif last > 0:
            # The name is one of our own plain identifiers; nextval takes it as a literal.
            cur.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [last])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
