"""`demo` (build the demo team) and `setup` (first-run database)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from scorecard import auth
from scorecard.calendar import parse_as_of
from scorecard.cli import UsageError, add_command
from scorecard.settings import load_settings
from scorecard.setup import ensure_database, progress_printer
from scorecard.store import Store, default_db_path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = add_command(sub, "demo", _demo, "build the demo team: export files in three CRM layouts, ingested like any upload")
    demo.add_argument("--reps", type=int, default=10, help="number of reps (default 10)")
    demo.add_argument("--weeks", type=int, default=26, help="completed weeks of history before this one (default 26)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--as-of", dest="as_of", help="ISO date or datetime, team-local when naive (default: now)")
    demo.add_argument("--out", type=Path, default=None, help="folder for the export files (default data/samples/demo)")
    which = demo.add_mutually_exclusive_group()
    which.add_argument("--remove", action="store_true", help="remove the demo team (undo its uploads, deactivate its reps)")
    which.add_argument("--restore", action="store_true", help="bring a removed demo team back")
    add_command(sub, "setup", _setup, "create the database with the demo team if it does not exist yet")


def _remove_or_restore(args: argparse.Namespace, store: Store) -> int:
    from scorecard.demo import DemoNotRemoved, remove_demo, restore_demo

    try:
        if args.remove:
            gone = remove_demo(store, datetime.now(UTC))
            print(
                f"demo team removed: {len(gone.batches)} demo uploads undone, {len(gone.reps)} demo reps deactivated, "
                f"{gone.events:,} events set aside. Bring it back with: python -m scorecard demo --restore"
            )
        else:
            back = restore_demo(store)
            print(f"demo team back: {len(back.batches)} uploads, {len(back.reps)} reps, {back.events:,} events")
    except (DemoNotRemoved, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _demo(args: argparse.Namespace, store: Store) -> int:
    from scorecard.demo import DEFAULT_OUT, build_demo
    from scorecard.ingest import FileRejected

    if args.remove or args.restore:
        return _remove_or_restore(args, store)
    if args.reps < 1 or args.weeks < 1:
        raise UsageError("--reps and --weeks must be at least 1")
    try:
        as_of = parse_as_of(args.as_of, load_settings(store))
    except ValueError as exc:
        raise UsageError(f"--as-of {args.as_of!r} is not an ISO date or datetime") from exc
    started = time.perf_counter()
    try:
        result = build_demo(
            store, as_of, reps=args.reps, weeks=args.weeks, seed=args.seed,
            out_dir=args.out or DEFAULT_OUT, progress=progress_printer(print),
        )
    except (FileRejected, ValueError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    print(
        f"demo: {len(result.reps)} reps, {result.events_added:,} events added ({result.events_generated:,} generated) "
        f"in {len(result.batch_ids)} batches, layouts {', '.join(result.layouts)}; "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


def _setup(args: argparse.Namespace, store: Store) -> int:
    if not ensure_database(args.db or default_db_path(), store=store):
        print(f"{store.backend.describe()} already has data; nothing to do.")
    data_dir = store.backend.home
    # Generated (and printed) here on first start when none is configured.
    auth.manager_passcode(data_dir)
    print(f"Manager passcode: see {auth.passcode_source(data_dir)}")
    return 0
