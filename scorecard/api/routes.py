"""The HTTP API under /api/v1, plus /healthz and /metrics, as Starlette routes beside the app.

- POST /api/v1/events                      events as a JSON array or NDJSON (scope events:write)
- GET  /api/v1/reps/{slug}/scorecard       a rep's scorecard, as `report --rep SLUG --json` (scope read)
- GET  /api/v1/team                        the team view, as `report --json` (scope read)
- POST /api/v1/webhooks/...                CRM webhooks, each with the vendor's own check (see webhooks)
- POST /api/v1/cli                         the command line, while the app holds the database (see local_cli)
- GET  /healthz, GET /metrics

docs/api.md is the reference.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from scorecard import metrics, scores
from scorecard.api import local_cli, webhooks
from scorecard.api.common import Problem, accepted, authorize, commit, observed, parse_json, read_body, store
from scorecard.calendar import parse_as_of
from scorecard.ingest.records import RecordOptions
from scorecard.settings import load_settings
from scorecard.viewcache import cached
from scorecard.views import now_minute

# Which replica answered, for operators behind a load balancer.
SERVER_ID = f"{socket.gethostname()}:{os.getpid()}"


def parse_events(body: bytes, content_type: str) -> list[Any]:
    """A JSON array (or one object) of events, or NDJSON: one event per line."""
    text = body.decode("utf-8", errors="strict") if body else ""
    stripped = text.lstrip()
    if not stripped:
        raise Problem(400, "the body is empty; send a JSON array of events or one event per line (NDJSON)")
    ndjson = "ndjson" in content_type or "jsonl" in content_type
    if stripped.startswith("[") and not ndjson:
        parsed = parse_json(body)
        if not isinstance(parsed, list):
            raise Problem(400, "send a JSON array of events, or one event per line (NDJSON)")
        return parsed
    if not ndjson:
        try:  # one event object, possibly spread over lines
            single = json.loads(text)
        except json.JSONDecodeError:
            single = None
        if isinstance(single, dict):
            return [single]
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise Problem(400, f"line {number} is not valid JSON ({exc.msg}, column {exc.colno}); send one event object per line") from None
    return events


def _crm_of(events: list[Any]) -> str:
    """The request's source (the first event's, else API): it namespaces the events' ids."""
    for event in events:
        if isinstance(event, dict) and isinstance(event.get("source"), str) and event["source"].strip():
            return str(event["source"]).strip()
    return "API"


async def post_events(request: Request) -> Response:
    token = authorize(request, "events:write")
    body = await read_body(request)
    try:
        events = parse_events(body, request.headers.get("content-type", ""))
    except UnicodeDecodeError as exc:
        raise Problem(400, f"the body is not UTF-8 text (bad byte at {exc.start})") from None
    crm = _crm_of(events)
    settings = webhooks.integrations()
    options = RecordOptions(
        channel="api",
        label=f"API events ({token.name})",
        crm=crm,
        layout="api",
        strict=request.query_params.get("strict", "").lower() in ("1", "true", "yes"),
        currency=settings.currency_code,
    )
    outcome = await commit(events, options, body, token.name, "POST /api/v1/events")
    return JSONResponse(accepted([outcome]), status_code=202)


def _as_of(request: Request) -> Any:
    settings = cached(store(), load_settings)
    raw = request.query_params.get("as_of")
    if not raw:
        return now_minute(settings)
    try:
        return parse_as_of(raw, settings)
    except ValueError:
        raise Problem(400, f"as_of={raw!r} is not an ISO date or date-time; use e.g. 2026-11-20 or 2026-11-20T14:30") from None


async def rep_scorecard(request: Request) -> Response:
    authorize(request, "read")
    slug = request.path_params["slug"]
    as_of = _as_of(request)

    def build() -> dict[str, Any]:
        return scores.scorecard_to_json(cached(store(), scores.rep_scorecard, slug, as_of))

    try:
        return JSONResponse(await to_thread.run_sync(build))
    except scores.UnknownRep as exc:
        raise Problem(404, str(exc.args[0])) from None


async def team(request: Request) -> Response:
    authorize(request, "read")
    as_of = _as_of(request)
    name = request.query_params.get("team") or None

    def build() -> dict[str, Any]:
        return scores.team_view_to_json(cached(store(), scores.team_view, as_of, team=name))

    body = await to_thread.run_sync(build)
    if name and name not in body["teams"]:
        raise Problem(404, f"no active team called {name!r} (teams: {', '.join(body['teams']) or 'none yet'})")
    return JSONResponse(body)


async def healthz(_request: Request) -> Response:
    def read() -> dict[str, Any]:
        s = store()
        last_event, last_batch = s.fetchone(
            "SELECT (SELECT max(occurred_at) FROM events), (SELECT max(uploaded_at) FROM batches WHERE status = 'live')"
        ) or (None, None)
        return {
            "ok": True,
            "server": SERVER_ID,
            "data_version": s.data_version(),
            "last_event_at": None if last_event is None else last_event.isoformat(),  # team time
            "last_batch_at": None if last_batch is None else last_batch.isoformat() + "Z",
        }

    return JSONResponse(await to_thread.run_sync(read))


async def prometheus(_request: Request) -> Response:
    return Response(await to_thread.run_sync(metrics.render), media_type=metrics.CONTENT_TYPE)


def routes() -> list[Route]:
    return [
        Route("/api/v1/events", observed("events", post_events), methods=["POST"]),
        Route("/api/v1/reps/{slug}/scorecard", observed("scorecard", rep_scorecard), methods=["GET"]),
        Route("/api/v1/team", observed("team", team), methods=["GET"]),
        *webhooks.routes(),
        *local_cli.routes(),
        Route("/healthz", observed("healthz", healthz), methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]
