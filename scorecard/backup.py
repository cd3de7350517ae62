"""Backup and restore of the one DuckDB file that holds a team's whole state.

A backup is a fresh database file filled by `COPY FROM DATABASE` from the live
one. That copy runs as one read transaction, so it is a consistent snapshot
even while the app keeps serving and writing; copying the live file's bytes
would not be (the newest commits may sit in the write-ahead log, and a
checkpoint cannot run while other readers hold transactions open).

A restore checks the upload completely, on a copy, before anything is
replaced: it must be a DuckDB file, carry our schema, come from this version
of the app or an older one, and migrate cleanly. Only then is the live file
kept aside under `backups/` and swapped for the upload.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scorecard._schema import MIGRATIONS
from scorecard.store import NotAScorecardDatabase, Store, forget_store, is_scorecard_database, open_store

BACKUP_DIR_NAME = "backups"
# Every DuckDB file carries this magic at byte 8 of its header.
_DUCKDB_MAGIC = b"DUCK"


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


def backup_file_name(now_utc: datetime) -> str:
    """The download's file name, e.g. scorecard-backup-20261123-104000Z.duckdb."""
    return f"scorecard-backup-{now_utc:%Y%m%d-%H%M%S}Z.duckdb"


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _remove(path: Path) -> None:
    for candidate in (path, _wal(path)):
        candidate.unlink(missing_ok=True)


def _check_upload(path: Path, head: bytes) -> tuple[int, int, int]:
    """Refuse anything but a scorecard database we can open; returns (schema_version, reps, events)."""
    if head[8:12] != _DUCKDB_MAGIC:
        raise RestoreRefused(
            "This file is not a database backup (it is not a DuckDB file). "
            "Restore a .duckdb file downloaded from Backup; CSV and Excel exports go on the Upload page."
        )
    if not is_scorecard_database(path):
        raise RestoreRefused(
            "This DuckDB file is not a Team Scorecard backup: it lacks the scorecard tables "
            "(or it was written by a newer DuckDB than this app can read)."
        )
    try:
        with Store(path, read_only=True) as probe:
            version = probe.schema_version()
    except NotAScorecardDatabase as exc:
        raise RestoreRefused(f"This file is not a Team Scorecard backup: {exc}") from exc
    if version > len(MIGRATIONS):
        raise RestoreRefused(
            f"This backup comes from a newer version of Team Scorecard (schema {version}; this app knows "
            f"up to {len(MIGRATIONS)}). Update the app, then restore it."
        )
    # Migrate the copy now, so a backup that cannot be brought up to date is
    # refused here instead of failing after it replaced the live file.
    try:
        with Store(path) as upgraded:
            reps = int(upgraded.scalar("SELECT count(*) FROM reps") or 0)
            events = int(upgraded.scalar("SELECT count(*) FROM events") or 0)
    except Exception as exc:
        raise RestoreRefused(f"This backup could not be opened and brought up to date: {exc}") from exc
    return version, reps, events


def _keep_aside(live: Path, backups: Path, now_utc: datetime) -> Path:
    backups.mkdir(parents=True, exist_ok=True)
    stem = f"{now_utc:%Y%m%d-%H%M%S}Z"
    kept = backups / f"{stem}.duckdb"
    serial = 1
    while kept.exists():
        serial += 1
        kept = backups / f"{stem}-{serial}.duckdb"
    shutil.copy2(live, kept)
    return kept


def restore(live_path: Path | str, uploaded: bytes, *, now_utc: datetime | None = None) -> RestoreResult:
    """Replace the live database with an uploaded backup, after checking it completely.

    The replaced file is kept as `backups/<timestamp>.duckdb` beside the live
    one. Anything that is not a valid scorecard database raises RestoreRefused
    and changes nothing. The process-wide store for `live_path` is closed and
    reopened, so callers must fetch it again (`open_store`).
    """
    live = Path(live_path).resolve()
    if not uploaded:
        raise RestoreRefused("The file is empty; choose a .duckdb backup downloaded from this app.")
    live.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".restore-", suffix=".duckdb", dir=live.parent)
    candidate = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(uploaded)
        version, reps, events = _check_upload(candidate, uploaded[:16])
        previous = _swap(live, candidate, now_utc or datetime.now(UTC))
    finally:
        _remove(candidate)
    return RestoreResult(previous_copy=previous, schema_version=version, reps=reps, events=events)


def _swap(live: Path, candidate: Path, now_utc: datetime) -> Path | None:
    """Close the live store, keep a copy of it, move the candidate in, reopen."""
    old_version = 0
    if live.exists():
        old_version = open_store(live).data_version()
    forget_store(live)
    previous: Path | None = None
    try:
        if live.exists():
            previous = _keep_aside(live, live.parent / BACKUP_DIR_NAME, now_utc)
        # A clean close leaves no log; a stale one must never be replayed onto the new file.
        wal = _wal(live)
        if wal.exists():
            if previous is not None:
                shutil.move(wal, _wal(previous))
            else:
                wal.unlink()
        os.replace(candidate, live)
    finally:
        store = open_store(live)
    # Pages cache on the data version: make it larger than anything the old
    # file ever showed, so nothing cached from before the restore is reused.
    with store.write() as cur:
        cur.execute(
            "UPDATE meta SET value = CAST(greatest(CAST(value AS BIGINT), ?) AS VARCHAR) WHERE key = 'data_version'",
            [old_version],
        )
    return previous
