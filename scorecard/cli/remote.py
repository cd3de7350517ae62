"""Commands sent to the running app: the command line's side, and what the app runs.

While the app runs it owns the database file, and opening it here fails. A
command registered with `through_app=True` is then sent to the app, found
through the server file beside the database (scorecard/serverfile.py). The app
parses the same arguments with the same parser and runs the same handler on its
own store (`execute`); the handler's output and exit code come back and are
printed here as they are, so the command prints what it would print with the
app stopped. docs/api.md, "The command line while the app runs", is the
reference.

The request (POST ENDPOINT, the secret in SECRET_HEADER) is one JSON line

    {"protocol": 1, "argv": [...], "db": "/abs/scorecard.duckdb", "files": N}

followed by one frame per file the command reads (the argument named by its
`reads`), in order: a JSON line

    {"path": "week.csv", "missing": false, "problem": null, "rejected": null, "size": 1234}

and then `size` bytes of the file. `missing`, `problem` and `rejected` are what
this machine's disk said (the same checks the command makes when it runs here),
so the handler reaches the same verdict in the app. The reply is JSON:
`{"exit": 0, "output": [{"stream": "out", "text": "..."}, {"stream": "out", "base64": "..."}]}`.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import logging
import ssl
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from scorecard.cli import LocalFile, _inputs, _streams, build_parser, err, run_handler, through_app_commands
from scorecard.ingest.errors import FileRejected
from scorecard.liveness import pid_alive, this_host
from scorecard.serverfile import ServerFile, ServerFileError, read_server_file, server_file_path
from scorecard.store import DatabaseLocked, Store

log = logging.getLogger(__name__)

ENDPOINT = "/api/v1/cli"
SECRET_HEADER = "X-Scorecard-Local-Secret"
CONTENT_TYPE = "application/x-scorecard-cli"
PROTOCOL = 1
MAX_HEADER_BYTES = 1024 * 1024
MAX_FRAME_LINE_BYTES = 64 * 1024
MAX_FILES = 10_000
# A just-started app holds the database a moment before it answers HTTP.
CONNECT_PATIENCE_S = 15.0
_PIECE = 1024 * 1024


# -- the command line's side ------------------------------------------------------------------------------------------
def run_through_app(
    parser: argparse.ArgumentParser, argv: Sequence[str], args: argparse.Namespace, db: Path, locked: DatabaseLocked
) -> int:
    """The database is in use: send the command to the app that holds it, or say why not and what to do."""
    command = args.command
    if not args.through_app:
        names = ", ".join(f"`{name}`" for name in through_app_commands(parser))
        print(
            f"error: {db} is in use by another process (normally the running app), and `{command}` needs the "
            f"database to itself: run it while the app is stopped, or use the app's pages. "
            f"While the app runs, these commands go through it: {names}.",
            file=sys.stderr,
        )
        return 1
    try:
        info = read_server_file(db)
    except ServerFileError as exc:
        print(f"error: {db} is in use by another process, and {exc}", file=sys.stderr)
        return 1
    if info is None:
        # The store's own message first: it names the Upload page and the inbox, which work without the app's address.
        print(
            f"error: {locked} The command cannot go through the app: no running app has left its address beside "
            f"the database ({server_file_path(db)} does not exist). If the app is starting, try again in a few "
            "seconds; if another command holds the database (a backup, a long import), wait for it to finish.",
            file=sys.stderr,
        )
        return 1
    if not info.running_here():
        if info.host != this_host():
            print(
                f"error: {db} is held by the app running on host {info.host} (pid {info.pid}); "
                "run the command on that machine.",
                file=sys.stderr,
            )
        else:
            print(
                f"error: {server_file_path(db)} is stale: the app that wrote it (pid {info.pid}, started "
                f"{info.started_at}) is no longer running, yet {db} is in use by another process. Wait for that "
                f"process to finish or stop it, then run the command again; if no app is running, delete "
                f"{server_file_path(db)}.",
                file=sys.stderr,
            )
        return 1
    return _send(info, argv, args, db)


def _send(info: ServerFile, argv: Sequence[str], args: argparse.Namespace, db: Path) -> int:
    paths = [Path(p) for p in getattr(args, args.reads)] if args.reads else []
    header = {"protocol": PROTOCOL, "argv": list(argv), "db": str(db.resolve()), "files": len(paths)}
    try:
        conn = _connect(info)
    except OSError as exc:
        print(
            f"error: {db} is held by the running app (pid {info.pid}), but it did not answer at {info.url} "
            f"({exc}). Check the app's log; if it is stuck, restart it.",
            file=sys.stderr,
        )
        return 1
    try:
        try:
            conn.request(
                "POST",
                urlsplit(info.url).path or ENDPOINT,
                body=_body(header, paths),
                headers={SECRET_HEADER: info.secret, "Content-Type": CONTENT_TYPE},
            )
        except OSError:
            # The app may refuse before reading the whole body and close its side;
            # its answer is then already waiting, and says more than a broken pipe.
            if conn.sock is None:
                raise
            conn.sock.settimeout(10)
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException) as exc:
        print(f"error: the connection to the app at {info.url} failed ({exc}); run the command again", file=sys.stderr)
        return 1
    finally:
        conn.close()
    try:
        reply = json.loads(raw)
    except ValueError:
        reply = None
    if response.status != 200 or not isinstance(reply, dict) or "exit" not in reply:
        said = reply.get("error") if isinstance(reply, dict) else raw[:300].decode("utf-8", "replace")
        print(f"error: the app refused the command ({response.status}): {said}", file=sys.stderr)
        return 1
    return _print_reply(reply)


def _connect(info: ServerFile) -> http.client.HTTPConnection:
    """A connection to the app, retried for a while if it is still starting; no time limit once connected."""
    url = urlsplit(info.url)
    host, port = url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 80)
    deadline = time.monotonic() + CONNECT_PATIENCE_S
    while True:
        conn: http.client.HTTPConnection
        if url.scheme == "https":
            # The secret is already this account's, and the app's certificate names its public
            # address, not the loopback one: encryption without a name check is all that is wanted here.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(host, port, timeout=10, context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.connect()
        except ConnectionRefusedError:
            conn.close()
            if time.monotonic() > deadline or not pid_alive(info.pid):
                raise
            time.sleep(0.25)
            continue
        except OSError:
            conn.close()
            raise
        if conn.sock is not None:
            conn.sock.settimeout(None)  # an import of a large file takes as long as it takes, as it does here
        return conn


def _body(header: dict[str, Any], paths: Sequence[Path]) -> Iterator[bytes]:
    """The request body, read from disk one file at a time while it is sent."""
    yield json.dumps(header).encode("utf-8") + b"\n"
    for path in paths:
        file = LocalFile(path)
        frame: dict[str, Any] = {"path": str(path), "missing": file.missing(), "problem": file.problem(), "rejected": None}
        data = b""
        if not frame["missing"] and frame["problem"] is None:
            try:
                data = file.read()
            except FileRejected as exc:
                frame["rejected"] = [exc.file_name, exc.message]
        frame["size"] = len(data)
        yield json.dumps(frame).encode("utf-8") + b"\n"
        view = memoryview(data)
        for start in range(0, len(data), _PIECE):
            yield bytes(view[start : start + _PIECE])


def _print_reply(reply: dict[str, Any]) -> int:
    for chunk in reply.get("output", []):
        stream = sys.stdout if chunk.get("stream") == "out" else sys.stderr
        if "text" in chunk:
            stream.write(str(chunk["text"]))
        else:
            stream.flush()
            stream.buffer.write(base64.b64decode(chunk.get("base64", "")))
            stream.flush()
    sys.stdout.flush()
    return int(reply["exit"])


# -- the app's side ------------------------------------------------------------------------------------------------------
class SentFile:
    """A file as the command line sent it: what its disk said, and its bytes."""

    def __init__(
        self, path: Path, missing: bool, problem: str | None, rejected: tuple[str, str] | None, data: IO[bytes]
    ) -> None:
        self.path = path
        self._missing = missing
        self._problem = problem
        self._rejected = rejected
        self._data = data

    def missing(self) -> bool:
        return self._missing

    def problem(self) -> str | None:
        return self._problem

    def read(self) -> bytes:
        if self._rejected is not None:
            raise FileRejected(*self._rejected)
        self._data.seek(0)
        return self._data.read()

    def close(self) -> None:
        self._data.close()


class _Recorder:
    """The command's output, in the order it was written, stdout and stderr apart."""

    def __init__(self) -> None:
        self.chunks: list[dict[str, str]] = []

    def add(self, stream: str, kind: str, value: str) -> None:
        last = self.chunks[-1] if self.chunks else None
        if kind == "text" and last is not None and last["stream"] == stream and "text" in last:
            last["text"] += value
        else:
            self.chunks.append({"stream": stream, kind: value})


class _Bytes:
    def __init__(self, recorder: _Recorder, stream: str) -> None:
        self._recorder, self._stream = recorder, stream

    def write(self, data: bytes, /) -> int:
        self._recorder.add(self._stream, "base64", base64.b64encode(data).decode("ascii"))
        return len(data)


class _Text:
    def __init__(self, recorder: _Recorder, stream: str) -> None:
        self._recorder, self._stream = recorder, stream
        self._buffer = _Bytes(recorder, stream)

    def write(self, text: str, /) -> int:
        self._recorder.add(self._stream, "text", text)
        return len(text)

    def flush(self) -> None:
        pass

    @property
    def buffer(self) -> _Bytes:
        return self._buffer


def execute(argv: Sequence[str], files: Sequence[SentFile], store: Store) -> dict[str, Any]:
    """Run a command sent by the command line on the app's `store`; its exit code and output."""
    recorder = _Recorder()
    streams = _streams.set((_Text(recorder, "out"), _Text(recorder, "err")))
    inputs = _inputs.set(files)
    try:
        code = _execute(argv, store)
    finally:
        _inputs.reset(inputs)
        _streams.reset(streams)
    return {"exit": code, "output": recorder.chunks}


def _execute(argv: Sequence[str], store: Store) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # the parser has written its message to err()
        return exc.code if isinstance(exc.code, int) else 2
    if not args.through_app:
        print(f"error: `{args.command}` does not run through the app; stop the app and run it again", file=err())
        return 1
    try:
        return run_handler(parser, args, store)
    except Exception as exc:  # the app keeps serving; the caller hears what happened
        log.exception("command line through the app: `%s` failed", args.command)
        print(f"error: `{args.command}` failed in the app ({type(exc).__name__}: {exc}); the app's log has the details", file=err())
        return 1
