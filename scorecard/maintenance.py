"""Storage maintenance: on a schedule in every running server, and on demand from the command line.

Every small write to a DuckLake adds small Parquet files and a snapshot;
`Store.maintain` merges them, forgets old snapshots and deletes files nothing
needs any more (docs/scale-out.md, "Maintenance"). Each app server checks
whether it is due from its background scheduler (scorecard.notify.scheduler);
the run itself happens under the write lock every process shares, and a run
another replica finished less than one interval ago is not repeated, so of
several replicas one does the work. A single database file needs none of
this: DuckDB checkpoints it by itself, and `python -m scorecard maintain`
checkpoints it on demand.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

from scorecard.store import MAINTAINED_AT_KEY, MaintenanceRun, Store

log = logging.getLogger(__name__)

EVERY_ENV = "SCORECARD_MAINTAIN_EVERY"
DEFAULT_EVERY = timedelta(hours=6)


def every() -> timedelta | None:
    """`$SCORECARD_MAINTAIN_EVERY` in hours (default 6); None when set to `off`."""
    raw = os.environ.get(EVERY_ENV, "").strip()
    if not raw:
        return DEFAULT_EVERY
    if raw.lower() == "off":
        return None
    try:
        hours = float(raw)
    except ValueError:
        hours = float("nan")
    if not 0 < hours < 24 * 365:
        raise ValueError(
            f"{EVERY_ENV}={raw!r} is not a number of hours: set it to e.g. 6, or `off` to leave maintenance "
            "to `python -m scorecard maintain` (docs/scale-out.md, \"Maintenance\")"
        )
    return timedelta(hours=hours)


def last_run(store: Store) -> datetime | None:
    """When any process last finished maintaining this database (None: never, or a file)."""
    raw = store.scalar("SELECT value FROM meta WHERE key = ?", [MAINTAINED_AT_KEY])
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw))
    except ValueError:
        return None


def run_if_due(store: Store, now: datetime | None = None) -> MaintenanceRun | None:
    """The scheduler's check: maintain a lake whose last run is over one interval old; None when not due."""
    interval = every()
    # A lake nothing has been written to has nothing to tidy, and stays "new" for `setup` (scorecard/setup.py).
    if interval is None or not store.is_lake or store.read_only or store.writes() == 0:
        return None
    now = now or datetime.now(UTC)
    last = last_run(store)  # a read without the lock: most checks end here, cheaply
    if last is not None and now - last < interval:
        return None
    done = store.maintain(unless_done_within=interval, now=now)
    if done.ran:
        log.info("maintenance: %s", summary(done))
    return done


def summary(done: MaintenanceRun) -> str:
    """One line saying what a run did."""
    if not done.ran:
        return "another process had just maintained the lake; nothing to do"
    if done.files_before == done.files_after == 0 and not done.snapshots_expired and not done.files_deleted:
        return f"checkpointed in {done.seconds:.1f} s"
    return (
        f"data files read by the newest snapshot {done.files_before:,} -> {done.files_after:,}; "
        f"{done.snapshots_expired:,} old snapshots expired; {done.files_deleted:,} unneeded files deleted; "
        f"{done.seconds:.1f} s"
    )
