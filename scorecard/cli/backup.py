"""`backup PATH` and `restore PATH`: the one database file, out and back in."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scorecard import backup
from scorecard.cli import add_command
from scorecard.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    out = add_command(sub, "backup", _backup, "write a consistent copy of the whole database to PATH (a new file)")
    out.add_argument("path", type=Path, metavar="PATH")
    back = add_command(
        sub, "restore", _restore, "replace the database with a backup file, after checking it (the current one is kept in backups/)"
    )
    back.add_argument("path", type=Path, metavar="PATH")


def _backup(args: argparse.Namespace, store: Store) -> int:
    try:
        written = backup.backup_to_file(store, args.path)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {written} ({written.stat().st_size:,} bytes, readable only by you)")
    return 0


def _restore(args: argparse.Namespace, store: Store) -> int:
    try:
        data = args.path.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.path}: {exc.strerror}; nothing was restored", file=sys.stderr)
        return 1
    try:
        result = backup.restore(store, data)
    except backup.RestoreRefused as exc:
        print(f"error: {args.path}: {exc}", file=sys.stderr)
        return 1
    kept = f"; the previous database was kept as {result.previous_copy}" if result.previous_copy else ""
    print(f"restored {args.path}: {result.reps} reps, {result.events:,} events{kept}")
    return 0
