"""Tiny, explicit fixtures built in code.

`add_activity` writes events the way a committed batch would (batch row,
events, links and rebuilt rollups in one transaction), so score tests can
state exactly what happened without going through file parsing.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from psycopg import sql

from scorecard.catalog import load_catalog, normalize_label
from scorecard.rollups import mark_touched, refresh_rollups
from scorecard.store import Store, next_ids

# A raw (type, outcome) an export would carry for one unit of each metric.
RAW_FOR_METRIC: dict[str, tuple[str, str]] = {
    "calls": ("Call", "No answer"),
    "conversations": ("Call", "Connected"),
    "meetings": ("Meeting", ""),
    "opportunities": ("Opportunity created", ""),
    "proposals": ("Proposal sent", ""),
    "deals_won": ("Closed Won", ""),
}

_counter = itertools.count(1)


# Which backend `new_store` (and so the `store` fixture) opens: file (the default),
# ducklake-sqlite or ducklake-postgres (docs/scale-out.md, "Testing on a lake").
TEST_BACKEND = "SCORECARD_TEST_BACKEND"
BACKENDS = ("file", "ducklake-sqlite", "ducklake-postgres")
# The session's PostgreSQL server, for ducklake-postgres (set by tests/conftest.py from the `postgres` fixture).
TEST_PG_DSN = "SCORECARD_TEST_PG_DSN"


def current_backend() -> str:
    backend = os.environ.get(TEST_BACKEND, "").strip() or "file"
    if backend not in BACKENDS:
        raise ValueError(f"{TEST_BACKEND}={backend!r}: use one of {', '.join(BACKENDS)}")
    return backend


def fresh_pg_database(dsn: str) -> str:
    """A new, empty database on the server of `dsn`; returns a libpq string naming it."""
    import psycopg

    name = f"lake_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{dsn} dbname={name}"


def database_location(
    tmp_path: Path, name: str = "scorecard.duckdb", backend: str | None = None, pg_dsn: str | None = None
) -> tuple[str, Path | None]:
    """(what SCORECARD_DB would say, what SCORECARD_DATA_PATH must say or None) for a new database in `tmp_path`.

    A SQLite catalog keeps its files beside it. PostgreSQL catalogs of one test share
    `tmp_path/lake-data` (each lake's files have names of their own), so a command
    given only the spec finds the folder in the environment, as an app server would.
    """
    backend = backend or current_backend()
    if backend == "file":
        return str(tmp_path / name), None
    if backend == "ducklake-sqlite":
        return f"ducklake:sqlite:{tmp_path / Path(name).stem}.sqlite", None
    dsn = pg_dsn or os.environ.get(TEST_PG_DSN)
    if not dsn:
        raise RuntimeError(f"{TEST_BACKEND}=ducklake-postgres needs the `postgres` fixture (tests/conftest.py sets {TEST_PG_DSN})")
    return f"ducklake:postgres:{fresh_pg_database(dsn)}", tmp_path / "lake-data"


def new_store(tmp_path: Path, name: str = "scorecard.duckdb") -> Store:
    """A new, migrated store on the backend the test run asks for ($SCORECARD_TEST_BACKEND)."""
    location, data_path = database_location(tmp_path, name)
    return Store(location, data_path=data_path)


def add_rep(
    store: Store,
    name: str,
    *,
    team: str = "Sales",
    email: str | None = None,
    slug: str | None = None,
    aliases: Sequence[str] = (),
    active: bool = True,
) -> int:
    slug = slug or name.lower().replace(" ", "-")
    with store.write() as cur:
        rep_id = next_ids(cur, "rep_id_seq")[0]
        cur.execute(
            "INSERT INTO reps (rep_id, slug, display_name, email, team, aliases, active) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [rep_id, slug, name, email, team, list(aliases), active],
        )
    return rep_id


def add_activity(
    store: Store,
    rep_id: int,
    events: Iterable[tuple[datetime, str] | tuple[datetime, str, float]],
) -> int:
    """Add events given as (when, metric_key[, amount]); returns the batch id.

    `metric_key` picks a raw export label that counts toward that metric
    (a conversation is a connected call, so it also counts as a call).
    """
    rows = []
    for event in events:
        when, metric = event[0], event[1]
        amount = float(event[2]) if len(event) > 2 else None  # type: ignore[misc]
        raw_type, raw_outcome = RAW_FOR_METRIC[metric]
        serial = next(_counter)
        key = int.from_bytes(hashlib.md5(f"test|{serial}".encode()).digest(), "big")
        rows.append((serial, key, rep_id, when, raw_type, raw_outcome, normalize_label(raw_type), normalize_label(raw_outcome), amount))
    catalog = load_catalog(store)
    with store.write() as cur:
        batch_id = next_ids(cur, "batch_id_seq")[0]
        cur.execute(
            "INSERT INTO batches (batch_id, file_name, source, uploaded_at, rows_read, rows_added, new_reps) "
            "VALUES (?, 'test', 'test', current_timestamp::TIMESTAMP, ?, ?, [])",
            [batch_id, len(rows), len(rows)],
        )
        for serial, key, rep, when, raw_type, raw_outcome, activity, outcome, amount in rows:
            cur.execute(
                "INSERT INTO events (event_id, event_key, rep_id, occurred_at, raw_type, raw_outcome, raw_subject, "
                "activity_label, outcome_label, amount, record_id, first_batch_id) "
                "VALUES (?, ?::UHUGEINT, ?, ?, ?, ?, NULL, ?, ?, ?, NULL, ?)",
                [serial, str(key), rep, when, raw_type, raw_outcome, activity, outcome, amount, batch_id],
            )
            cur.execute("INSERT INTO batch_events VALUES (?, ?)", [batch_id, serial])
        mark_touched(
            cur,
            "SELECT e.rep_id, CAST(e.occurred_at AS DATE) FROM events e JOIN batch_events b USING (event_id) WHERE b.batch_id = ?",
            [batch_id],
        )
        refresh_rollups(cur, catalog, touched=True)
    return batch_id


def add_counts(store: Store, rep_id: int, when: datetime, counts: dict[str, int]) -> int:
    """Shorthand: `counts` of each metric, all at `when`."""
    return add_activity(store, rep_id, [(when, metric) for metric, n in counts.items() for _ in range(n)])
