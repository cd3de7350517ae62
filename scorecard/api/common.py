"""What every API and webhook route shares: problems as JSON, the body size limit, tokens, rate limits, batches."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from scorecard import metrics
from scorecard.api.ratelimit import RateLimiter, retry_after
from scorecard.api.tokens import Token, verify_token
from scorecard.ingest.records import RecordOptions, RecordsOutcome, RecordsRejected, RowProblem, ingest_records
from scorecard.ingest.writing import AfterCommit
from scorecard.store import Store, default_db_path, open_store

MAX_BODY_BYTES = int(os.environ.get("SCORECARD_API_MAX_BODY", str(5 * 1024 * 1024)))
MAX_EVENTS = 10_000

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Problem(Exception):
    """A refused request: nothing was written. `rows` say which row, which field and what to do."""

    status: int
    message: str
    rows: Sequence[RowProblem] = ()
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        body: dict[str, Any] = {"error": self.message}
        if self.rows:
            body["rows"] = [p.as_json() for p in self.rows]
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def store() -> Store:
    """The process's store, asked for on every request: a restore reopens it."""
    return open_store(default_db_path())


def observed(route: str, handler: Handler) -> Handler:
    """Turn Problems into responses and count every request by route and status."""

    async def run(request: Request) -> Response:
        try:
            response = await handler(request)
        except Problem as problem:
            response = problem.response()
        metrics.API_REQUESTS.labels(route=route, status=str(response.status_code)).inc()
        return response

    return run


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused with 413 as soon as it is known to be over `limit`: by its declared length
    before reading anything, else by counting while it streams in."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise Problem(400, "the Content-Length header is not a number") from None
        if size > limit:
            raise Problem(413, _too_large(limit))
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise Problem(413, _too_large(limit))
    return bytes(received)


def _too_large(limit: int) -> str:
    return f"the body is over the {limit / 2**20:g} MiB limit; send the events in smaller requests (at most {MAX_EVENTS:,} each)"


_limiter = RateLimiter()


def authorize(request: Request, scope: str) -> Token:
    """The request's bearer token, checked for `scope` and its rate limit (401, 403, 429)."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    token = verify_token(store(), presented) if scheme.lower() == "bearer" else None
    if token is None:
        raise Problem(
            401,
            "no valid API token: send `Authorization: Bearer <token>` (create one with `python -m scorecard tokens create`)",
            headers={"WWW-Authenticate": 'Bearer realm="scorecard"'},
        )
    if scope not in token.scopes:
        raise Problem(403, f"the token {token.name!r} lacks the {scope!r} scope; create a token with --scope {scope}")
    wait = _limiter.take(token.token_id, token.rate_per_minute)
    if wait > 0:
        raise Problem(
            429,
            f"the token {token.name!r} is over its limit of {token.rate_per_minute} requests a minute; retry later",
            headers={"Retry-After": retry_after(wait)},
        )
    return token


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Problem(400, f"the body is not UTF-8 text (bad byte at {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise Problem(400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None


def audit(caller: str, endpoint: str) -> AfterCommit:
    """The audit row, written in the batch's own transaction."""

    def write(cur: duckdb.DuckDBPyConnection, batch_id: int) -> None:
        cur.execute(
            "INSERT INTO api_audit SELECT ?, ?, ?, batch_id, rows_added, rows_duplicate, rows_rejected "
            "FROM batches WHERE batch_id = ?",
            [datetime.now(UTC).replace(tzinfo=None), caller, endpoint, batch_id],
        )

    return write


async def commit(records: Sequence[object], options: RecordOptions, body: bytes, caller: str, endpoint: str) -> RecordsOutcome:
    """One batch, written off the event loop; a RecordsRejected becomes a 422 that wrote nothing."""
    if len(records) > MAX_EVENTS:
        raise Problem(422, f"{len(records):,} events in one request; send at most {MAX_EVENTS:,} per request")

    def write() -> RecordsOutcome:
        return ingest_records(store(), records, options, body=body, after=audit(caller, endpoint))

    try:
        return await to_thread.run_sync(write)
    except RecordsRejected as exc:
        raise Problem(422, exc.message, exc.problems) from None


def accepted(outcomes: Sequence[RecordsOutcome], ignored: int = 0) -> dict[str, Any]:
    """The 202 body: per batch, its id and counts, and the rows rejected with their reasons."""
    batches = [
        {
            "batch_id": o.result.batch_id,
            "added": o.result.rows_added,
            "already_present": o.result.rows_duplicate,
            "rejected": o.result.rows_rejected,
            "new_reps": o.result.new_reps,
            "rejects": [p.as_json() for p in o.problems],
        }
        for o in outcomes
    ]
    body: dict[str, Any] = dict(batches[0]) if len(batches) == 1 else {"batches": batches}
    if ignored:
        body["ignored"] = ignored
    return body
