"""The command line: the same core functions the app uses, one sub-command each.

Every command takes `--db PATH` (default `$SCORECARD_DB`, else
`data/scorecard.duckdb`). Exit codes: 0 success, 1 a failure the message
explains (including "the app holds the database"), 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from scorecard.store import DatabaseLocked, Store, default_db_path

Handler = Callable[[argparse.Namespace, Store], int]


class UsageError(Exception):
    """Bad arguments discovered after parsing; exits 2 like argparse does."""


def _modules() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    # Imported here so `--help` stays fast and a module's import error names itself.
    from scorecard.cli import backup, coaching, contests, data, demo, digest, goals, report, tokens

    return [
        data.register, report.register, goals.register, contests.register, coaching.register, demo.register,
        backup.register, tokens.register, digest.register,
    ]  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scorecard", description="Team Scorecard command line")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=None, help="database file (default: $SCORECARD_DB, else data/scorecard.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.common = common  # type: ignore[attr-defined]
    for register in _modules():
        register(sub)
    return parser


def add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, handler: Handler, help_text: str
) -> argparse.ArgumentParser:
    """Add a sub-command that takes `--db` and runs `handler(args, store)`."""
    parser = sub.add_parser(name, help=help_text, description=help_text, parents=[sub.common])  # type: ignore[attr-defined]
    parser.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    db = args.db or default_db_path()
    try:
        store = Store(db)
    except DatabaseLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        return int(args.handler(args, store))
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
