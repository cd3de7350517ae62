"""The command line: the same core functions the app uses, one sub-command each.

Every command takes `--db PATH` (default `$SCORECARD_DB`, else
`data/scorecard.duckdb`). Exit codes: 0 success, 1 a failure the message
explains (including "the app holds the database"), 2 usage errors.

While the app runs it owns the database file. The commands registered with
`through_app=True` then run inside the app instead: the same handler, on the
app's store, with its output sent back and printed here unchanged
(`scorecard.cli.remote`; docs/api.md, "The command line while the app runs").
So a handler writes only to `out()` and `err()`, and reads the files it is given
only through `input_files()`; both are the terminal and the disk when it runs
here, and the request and its reply when it runs in the app.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, NoReturn, Protocol

from scorecard.store import DatabaseLocked, FileFromNewerDuckDB, Store, default_db_path

Handler = Callable[[argparse.Namespace, Store], int]


class UsageError(Exception):
    """Bad arguments discovered after parsing; exits 2 like argparse does."""


# -- where a command's output goes ---------------------------------------------------------------------------
class BinaryOut(Protocol):
    def write(self, data: bytes, /) -> int: ...


class TextOut(Protocol):
    """What a handler writes to: `print(..., file=out())`, or `out().buffer.write(bytes)` for bytes."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...

    @property
    def buffer(self) -> BinaryOut: ...


_streams: ContextVar[tuple[TextOut, TextOut] | None] = ContextVar("scorecard_cli_streams", default=None)


def out() -> TextOut:
    """The command's standard output: the terminal, or the reply when the app runs the command."""
    streams = _streams.get()
    return sys.stdout if streams is None else streams[0]


def err() -> TextOut:
    """The command's standard error: the terminal, or the reply when the app runs the command."""
    streams = _streams.get()
    return sys.stderr if streams is None else streams[1]


# -- the files a command reads ----------------------------------------------------------------------------------
class InputFile(Protocol):
    """A file named on the command line, as the command sees it wherever it runs."""

    @property
    def path(self) -> Path: ...  # as given on the command line

    def missing(self) -> bool: ...

    def problem(self) -> str | None: ...  # why it cannot be read as an upload, before opening it

    def read(self) -> bytes: ...  # raises FileRejected


class LocalFile:
    """A file on this machine's disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def missing(self) -> bool:
        return not self.path.exists() and not self.path.is_symlink()

    def problem(self) -> str | None:
        from scorecard.ingest.reading import path_problem

        return path_problem(self.path)

    def read(self) -> bytes:
        from scorecard.ingest.reading import read_path

        return read_path(self.path)


_inputs: ContextVar[Sequence[InputFile] | None] = ContextVar("scorecard_cli_inputs", default=None)


def input_files(paths: Sequence[Path]) -> list[InputFile]:
    """The files named by `paths`: on disk here, or as the command line sent them to the app."""
    sent = _inputs.get()
    if sent is None:
        return [LocalFile(p) for p in paths]
    if len(sent) != len(paths):
        raise UsageError(
            f"the command line sent {len(sent)} files for {len(paths)} file arguments; "
            "use `python -m scorecard` from the same version as the running app"
        )
    return list(sent)


# -- parsing -------------------------------------------------------------------------------------------------------
class Parser(argparse.ArgumentParser):
    """argparse whose messages go to `out()` and `err()`, so they reach the caller even through the app."""

    def print_usage(self, file: Any = None) -> None:
        super().print_usage(file or out())

    def print_help(self, file: Any = None) -> None:
        super().print_help(file or out())

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            err().write(message)
        raise SystemExit(status)

    def error(self, message: str) -> NoReturn:
        self.print_usage(err())
        self.exit(2, f"{self.prog}: error: {message}\n")


def _modules() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    # Imported here so `--help` stays fast and a module's import error names itself.
    from scorecard.cli import backup, coaching, contests, data, demo, digest, goals, lake, report, tokens

    return [
        data.register, report.register, goals.register, contests.register, coaching.register, demo.register,
        backup.register, tokens.register, digest.register, lake.register,
    ]  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = Parser(prog="python -m scorecard", description="Team Scorecard command line")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=None, help="database file (default: $SCORECARD_DB, else data/scorecard.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.common = common  # type: ignore[attr-defined]
    for register in _modules():
        register(sub)
    return parser


def add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    help_text: str,
    *,
    through_app: bool = False,
    reads: str | None = None,
) -> argparse.ArgumentParser:
    """Add a sub-command that takes `--db` and runs `handler(args, store)`.

    `through_app=True`: while the app holds the database, the command runs inside the app
    (its handler then writes only to `out()`/`err()`). `reads`: the argument holding the
    files it reads, which are sent along (read them with `input_files()`).
    """
    parser = sub.add_parser(name, help=help_text, description=help_text, parents=[sub.common])  # type: ignore[attr-defined]
    parser.set_defaults(handler=handler, through_app=through_app, reads=reads)
    return parser


def add_command_without_store(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Callable[[argparse.Namespace], int],
    help_text: str,
) -> argparse.ArgumentParser:
    """Add a sub-command that names its own databases (no `--db`) and opens them itself: `handler(args)`.

    Nothing is opened before it runs, so it never creates the default database; it never runs through the app.
    """
    parser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=None, without_store=handler, through_app=False, reads=None)
    return parser


def through_app_commands(parser: argparse.ArgumentParser) -> list[str]:
    """The commands that run inside the app while it holds the database."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return [name for name, sub in action.choices.items() if sub.get_default("through_app")]
    return []


def run_handler(parser: argparse.ArgumentParser, args: argparse.Namespace, store: Store) -> int:
    """Run the parsed command on `store`: here, or inside the app for a command sent to it."""
    try:
        return int(args.handler(args, store))
    except UsageError as exc:
        parser.print_usage(err())
        print(f"error: {exc}", file=err())
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    without_store = getattr(args, "without_store", None)
    if without_store is not None:
        try:
            return int(without_store(args))
        except UsageError as exc:
            parser.print_usage(err())
            print(f"error: {exc}", file=err())
            return 2
    db = args.db or default_db_path()
    try:
        store = Store(db)
    except DatabaseLocked as exc:  # normally the running app: send the command to it, or say why not
        from scorecard.cli.remote import run_through_app

        return run_through_app(parser, arguments, args, Path(db), exc)
    except FileFromNewerDuckDB as exc:
        print(f"error: {exc}", file=err())
        return 1
    try:
        return run_handler(parser, args, store)
    finally:
        store.close()
