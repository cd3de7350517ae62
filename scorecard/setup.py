"""First run: a database seeded with the demo team, so `make run` shows something real."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from scorecard.calendar import team_now
from scorecard.settings import load_settings
from scorecard.store import Store

Echo = Callable[[str], None]


def is_fresh(store: Store) -> bool:
    """True for a database nothing has been written to yet (migrations do not count)."""
    if store.writes() != 0:
        return False
    return not store.scalar("SELECT count(*) FROM reps") and not store.scalar("SELECT count(*) FROM batches")


def ensure_database(
    path: Path | str,
    *,
    store: Store | None = None,
    as_of: datetime | None = None,
    out_dir: Path | None = None,
    echo: Echo = print,
) -> bool:
    """Create the database with the demo team when it does not exist yet; True when it did.

    An existing file is left alone without being opened, so this is cheap on
    every start. `store` is the already open store for `path`, when the caller
    has one (the command line opens it first); then "exists" means "has data".
    The demo is built relative to `as_of`, else the team's current time.
    """
    path = Path(path)
    if store is None and path.exists():
        return False
    created_here = store is None
    store = store or Store(path)
    try:
        if not is_fresh(store):
            return False
        _seed(store, path, as_of, out_dir, echo)
        return True
    except BaseException:
        if created_here:
            # A half-seeded file would be skipped forever by the check above: start over next time.
            store.close()
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
            created_here = False
        raise
    finally:
        if created_here:
            store.close()


def _seed(store: Store, path: Path, as_of: datetime | None, out_dir: Path | None, echo: Echo) -> None:
    from scorecard.demo import DEFAULT_OUT, build_demo

    moment = as_of or team_now(load_settings(store))
    echo(f"Creating {path} with a demo team (10 reps, 26 weeks up to {moment:%Y-%m-%d %H:%M}) …")
    started = time.perf_counter()
    result = build_demo(store, moment, out_dir=out_dir or DEFAULT_OUT, progress=progress_printer(echo))
    echo(
        f"Demo team ready in {time.perf_counter() - started:.1f} s: {len(result.reps)} reps, "
        f"{result.events_added:,} events from {len(result.files)} export files in {len(result.layouts)} CRM layouts."
    )


def progress_printer(echo: Echo) -> Callable[[float, str], None]:
    """A progress callback that prints one line per step."""

    def report(fraction: float, message: str) -> None:
        echo(f"  [{fraction:4.0%}] {message}")

    return report
