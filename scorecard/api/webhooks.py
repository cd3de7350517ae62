"""CRM webhook routes: the vendor's own check first (401 and nothing written when it fails), then one
batch per kind of record, through the same path as the events API.

- POST /api/v1/webhooks/hubspot              X-HubSpot-Signature-v3 (HMAC-SHA256 of method, URI, body, timestamp)
- POST /api/v1/webhooks/pipedrive            HTTP basic auth
- POST /api/v1/webhooks/salesforce?key=…     Outbound Message (SOAP): the URL key and the OrganizationId
- POST /api/v1/webhooks/salesforce/flow      Flow HTTP callout (JSON): the X-Scorecard-Secret header
- POST /api/v1/webhooks/generic              Zapier or Make (JSON): an API token with events:write
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from zoneinfo import ZoneInfo

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from scorecard.api import vendors
from scorecard.api.common import Problem, accepted, authorize, commit, observed, read_body, store
from scorecard.catalog import load_catalog
from scorecard.ingest.records import RecordOptions, RecordsOutcome
from scorecard.integrations import Integrations, load_integrations
from scorecard.settings import load_settings
from scorecard.viewcache import cached


def integrations() -> Integrations:
    return cached(store(), load_integrations)


def _refuse(vendor: str, what: str) -> Problem:
    return Problem(401, f"the {vendor} request failed its check ({what}); nothing was written")


async def _ingest(parsed: vendors.Parsed, crm: str, caller: str, endpoint: str, body: bytes) -> list[RecordsOutcome]:
    outcomes = []
    for kind, records in parsed.by_kind.items():
        options = RecordOptions(
            channel="webhook", label=f"{crm} webhook ({kind})", crm=crm, kind=kind, layout=f"{crm.lower()} webhook",
            currency=integrations().currency_code,
        )  # fmt: skip
        outcomes.append(await commit(records, options, body, caller, endpoint))
    return outcomes


def _reply(outcomes: list[RecordsOutcome], ignored: int) -> Response:
    if not outcomes:
        return JSONResponse({"added": 0, "ignored": ignored}, status_code=202)
    return JSONResponse(accepted(outcomes, ignored), status_code=202)


def _bad(exc: vendors.BadPayload) -> Problem:
    return Problem(400, str(exc))


async def hubspot(request: Request) -> Response:
    body = await read_body(request)
    settings = integrations()
    uri = (settings.public_url + request.url.path) if settings.public_url else str(request.url).split("?")[0]
    if request.url.query:
        uri += "?" + request.url.query
    if not settings.hubspot_client_secret:
        raise _refuse("HubSpot", "no client secret is set on Settings")
    if not vendors.hubspot_valid(settings.hubspot_client_secret, request.method, uri, body, request.headers):
        raise _refuse("HubSpot", "X-HubSpot-Signature-v3 does not match, or the timestamp is over 5 minutes old")
    catalog = await to_thread.run_sync(lambda: cached(store(), load_catalog))
    try:
        parsed = vendors.hubspot_records(body, catalog)
    except vendors.BadPayload as exc:
        raise _bad(exc) from None
    return _reply(await _ingest(parsed, "HubSpot", "webhook:hubspot", "POST /api/v1/webhooks/hubspot", body), parsed.ignored)


async def pipedrive(request: Request) -> Response:
    settings = integrations()
    if not vendors.basic_auth_valid(request.headers.get("authorization"), settings.pipedrive_user, settings.pipedrive_password):
        raise _refuse("Pipedrive", "HTTP basic auth user or password")
    body = await read_body(request)
    try:
        parsed = vendors.pipedrive_records(body)
    except vendors.BadPayload as exc:
        raise _bad(exc) from None
    return _reply(await _ingest(parsed, "Pipedrive", "webhook:pipedrive", "POST /api/v1/webhooks/pipedrive", body), parsed.ignored)


def _salesforce_parsed(pairs: list[tuple[str, dict[str, object]]]) -> vendors.Parsed:
    s = store()
    zone, catalog = ZoneInfo(cached(s, load_settings).timezone), cached(s, load_catalog)
    parsed = vendors.kinds(kind_record for kind, fields in pairs for kind_record in vendors.salesforce_record(fields, kind, zone, catalog))
    parsed.ignored = sum(1 for kind, fields in pairs if not vendors.salesforce_record(fields, kind, zone, catalog))
    return parsed


async def salesforce_outbound(request: Request) -> Response:
    settings = integrations()
    key = request.query_params.get("key", "")
    if not settings.salesforce_endpoint_key or not hmac.compare_digest(key.encode(), settings.salesforce_endpoint_key.encode()):
        raise _refuse("Salesforce", "the key in the endpoint URL")
    body = await read_body(request)
    try:
        org, pairs = vendors.outbound_message(body)
    except vendors.BadPayload as exc:
        raise _bad(exc) from None
    if not vendors.same_org(org, settings.salesforce_org_id):
        raise _refuse("Salesforce", "the OrganizationId is not the one set on Settings")
    parsed = await to_thread.run_sync(lambda: _salesforce_parsed(pairs))
    await _ingest(parsed, "Salesforce", "webhook:salesforce", "POST /api/v1/webhooks/salesforce", body)
    # Salesforce retries until it reads this acknowledgement.
    return Response(vendors.SOAP_ACK, media_type="text/xml")


async def salesforce_flow(request: Request) -> Response:
    settings = integrations()
    given = request.headers.get("x-scorecard-secret", "")
    if not settings.salesforce_flow_secret or not hmac.compare_digest(given.encode(), settings.salesforce_flow_secret.encode()):
        raise _refuse("Salesforce Flow", "the X-Scorecard-Secret header")
    body = await read_body(request)
    try:
        pairs = vendors.flow_records(body)
    except vendors.BadPayload as exc:
        raise _bad(exc) from None
    parsed = await to_thread.run_sync(lambda: _salesforce_parsed(pairs))
    outcomes = await _ingest(parsed, "Salesforce", "webhook:salesforce-flow", "POST /api/v1/webhooks/salesforce/flow", body)
    return _reply(outcomes, parsed.ignored)


async def generic(request: Request) -> Response:
    token = authorize(request, "events:write")
    body = await read_body(request)
    try:
        records = vendors.generic_records(body)
    except vendors.BadPayload as exc:
        raise _bad(exc) from None
    crm = next((str(r["source"]).strip() for r in records if isinstance(r, dict) and r.get("source")), "Generic")
    options = RecordOptions(channel="webhook", label=f"Zapier/Make webhook ({token.name})", crm=crm, layout="generic webhook",
                            currency=integrations().currency_code)  # fmt: skip
    outcome = await commit(records, options, body, token.name, "POST /api/v1/webhooks/generic")
    return JSONResponse(accepted([outcome]), status_code=202)


def _route(path: str, name: str, handler: Callable[[Request], object]) -> Route:
    return Route(path, observed(name, handler), methods=["POST"])  # type: ignore[arg-type]


def routes() -> list[Route]:
    return [
        _route("/api/v1/webhooks/hubspot", "webhook_hubspot", hubspot),
        _route("/api/v1/webhooks/pipedrive", "webhook_pipedrive", pipedrive),
        _route("/api/v1/webhooks/salesforce", "webhook_salesforce", salesforce_outbound),
        _route("/api/v1/webhooks/salesforce/flow", "webhook_salesforce_flow", salesforce_flow),
        _route("/api/v1/webhooks/generic", "webhook_generic", generic),
    ]
