"""POST /api/v1/cli: the command line, run inside the app while the app holds the database.

Only `python -m scorecard` on this machine, run by the account that runs the app,
calls it: the request must come from a local address and carry the secret from
the server file (scorecard/serverfile.py), compared in constant time. Anything
else is refused before the body is read. The wire format is described in
scorecard/cli/remote.py; docs/api.md, "The command line while the app runs", is
the reference.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from scorecard import serverfile
from scorecard.api.common import Problem, observed, store
from scorecard.cli import remote
from scorecard.ingest.reading import MAX_FILE_BYTES

_SPOOL_BYTES = 8 * 1024 * 1024  # a file sent along stays in memory up to this size, then goes to a temp file


class _Body:
    """The request body as lines and counted bytes, read as it streams in."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()
        self._done = False

    async def _more(self) -> bool:
        if self._done:
            return False
        try:
            self._buffer += await self._chunks.__anext__()
        except StopAsyncIteration:
            self._done = True
            return False
        return True

    async def line(self, limit: int, what: str) -> bytes:
        while True:
            end = self._buffer.find(b"\n")
            if 0 <= end <= limit:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                return line
            if end > limit or len(self._buffer) > limit:
                raise Problem(413, f"the {what} is over {limit:,} bytes")
            if not await self._more():
                raise Problem(400, f"the request ended before its {what}; run the command again")

    async def copy(self, size: int, sink: IO[bytes]) -> None:
        left = size
        while left:
            if not self._buffer and not await self._more():
                raise Problem(400, "the request ended in the middle of a file; run the command again")
            piece = self._buffer[:left]
            sink.write(piece)
            del self._buffer[: len(piece)]
            left -= len(piece)

    async def at_end(self) -> bool:
        while not self._buffer:
            if not await self._more():
                return True
        return False


def _json_line(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Problem(400, f"the {what} is not JSON; use `python -m scorecard` of the same version as the app") from None
    if not isinstance(value, dict):
        raise Problem(400, f"the {what} is not a JSON object")
    return value


async def _file(body: _Body) -> remote.SentFile:
    frame = _json_line(await body.line(remote.MAX_FRAME_LINE_BYTES, "file header"), "file header")
    path, size, problem, rejected = frame.get("path"), frame.get("size"), frame.get("problem"), frame.get("rejected")
    if (
        not isinstance(path, str)
        or not isinstance(frame.get("missing"), bool)
        or not isinstance(size, int)
        or size < 0
        or not (problem is None or isinstance(problem, str))
        or not (rejected is None or (isinstance(rejected, list) and len(rejected) == 2 and all(isinstance(x, str) for x in rejected)))
    ):
        raise Problem(400, "a file header is malformed; use `python -m scorecard` of the same version as the app")
    if size > MAX_FILE_BYTES:
        raise Problem(413, f"{Path(path).name} is larger than {MAX_FILE_BYTES // 1_048_576} MB. Export a shorter date range.")
    sink: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (closed by the caller)
    try:
        await body.copy(size, sink)
    except BaseException:
        sink.close()
        raise
    return remote.SentFile(Path(path), bool(frame["missing"]), problem, None if rejected is None else (rejected[0], rejected[1]), sink)


async def run_command(request: Request) -> Response:
    db = store().path
    client = request.client.host if request.client else None
    if not serverfile.local_caller(db, client):
        raise Problem(403, "commands are taken only from the machine the app runs on; run `python -m scorecard` there")
    if not serverfile.secret_matches(db, request.headers.get(remote.SECRET_HEADER)):
        raise Problem(
            401,
            f"no valid local secret: this endpoint is for `python -m scorecard`, run by the account that runs the app "
            f"(it reads the secret from {serverfile.server_file_path(db).name} beside the database)",
        )
    body = _Body(request.stream())
    header = _json_line(await body.line(remote.MAX_HEADER_BYTES, "request header"), "request header")
    argv, count, named = header.get("argv"), header.get("files"), header.get("db")
    if header.get("protocol") != remote.PROTOCOL:
        raise Problem(400, "the command line and the app are different versions; restart the app or use its version")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv) or not isinstance(named, str):
        raise Problem(400, "the request header is malformed; use `python -m scorecard` of the same version as the app")
    if not isinstance(count, int) or not 0 <= count <= remote.MAX_FILES:
        raise Problem(400, f"a command sends between 0 and {remote.MAX_FILES:,} files")
    if Path(named).resolve() != db.resolve():
        raise Problem(409, f"this app holds {db}, not {named}")
    files: list[remote.SentFile] = []
    try:
        for _ in range(count):
            files.append(await _file(body))
        if not await body.at_end():
            raise Problem(400, "the request carries more than its files; run the command again")
        reply = await to_thread.run_sync(remote.execute, argv, files, store())
    finally:
        for file in files:
            file.close()
    return JSONResponse(reply)


def routes() -> list[Route]:
    return [Route(remote.ENDPOINT, observed("cli", run_command), methods=["POST"])]
