"""`maintain` and `move`: a lake's storage upkeep, and moving a team between a file and a lake (docs/scale-out.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scorecard import maintenance
from scorecard.cli import add_command, add_command_without_store, err, out
from scorecard.move import MoveRefused, move
from scorecard.store import BadDatabaseSpec, DatabaseUnavailable, ExtensionMissing, Store, backend_for


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_command(
        sub,
        "maintain",
        _maintain,
        "tidy the storage now: on a DuckLake merge small files, expire old snapshots, delete unneeded files; "
        "on a file, a checkpoint",
        through_app=True,
    )
    moving = add_command_without_store(
        sub,
        "move",
        _move,
        "copy the whole team from one database into a new or empty one (a file to a DuckLake, or back), in one transaction",
    )
    moving.add_argument("--from", dest="source", required=True, metavar="SOURCE", help="the database the team is in now")
    moving.add_argument("--to", dest="target", required=True, metavar="TARGET", help="a new file, or an empty DuckLake")
    moving.add_argument(
        "--to-data-path",
        type=Path,
        default=None,
        metavar="FOLDER",
        help="the target lake's data folder (default: $SCORECARD_DATA_PATH, or beside a SQLite catalog)",
    )
    moving.add_argument("--json", action="store_true", help="print the rows copied per table as JSON")


def _maintain(args: argparse.Namespace, store: Store) -> int:
    done = store.maintain()
    print(f"{store.backend.describe()}: {maintenance.summary(done)}", file=out())
    return 0


def _move(args: argparse.Namespace) -> int:
    try:
        result = move(args.source, args.target, data_path=args.to_data_path)
    except (MoveRefused, BadDatabaseSpec, DatabaseUnavailable, ExtensionMissing) as exc:
        print(f"error: {exc}", file=err())
        return 1
    if args.json:
        print(json.dumps({"source": result.source, "target": result.target, "rows": result.counts}, indent=2), file=out())
        return 0
    print(
        f"moved {result.rows:,} rows in {result.tables} tables from {result.source} to {result.target}.\n"
        f"The source is unchanged. Point SCORECARD_DB at the target ({backend_for(args.target, args.to_data_path).describe()}) "
        "to use it.",
        file=out(),
    )
    return 0
