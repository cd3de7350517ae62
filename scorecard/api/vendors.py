"""CRM webhook payloads into event records, and each vendor's own authentication check.

Pure functions: bytes and headers in, records (the API's event fields) out.
A CRM user known only by an id (HubSpot, Pipedrive, Salesforce) becomes the
rep "<CRM> user <id>": the first event creates that rep, and merging it into
the real rep on the Roster page (or adding it as an alias) sends every later
event to the right person. Record ids are the CRM's own, namespaced by CRM
and kind as the CRM's exports are, so a webhook and an export of the same
record are one event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from scorecard.catalog import Catalog
from scorecard.ingest.layouts import load_layouts, normal

HUBSPOT_WINDOW_S = 300
# HubSpot decodes these, and only these, in the URI it signs (its v3 validation rules).
_HUBSPOT_DECODE = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
HUBSPOT_CALL, HUBSPOT_MEETING, HUBSPOT_DEAL = "0-48", "0-47", "0-3"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
SOAP_ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)


class BadPayload(ValueError):
    """The body is not the vendor's documented format; the message says what was expected."""


@dataclass
class Parsed:
    """Records per kind (a request may carry activities and deals) and how many events were not ours."""

    by_kind: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ignored: int = 0

    def add(self, kind: str, record: dict[str, Any]) -> None:
        self.by_kind.setdefault(kind, []).append(record)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _from_epoch_ms(value: Any) -> str | None:
    try:
        return _iso(datetime.fromtimestamp(int(value) / 1000, UTC))
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _utc_text(value: Any) -> str | None:
    """'2026-11-18 15:30:00' (Pipedrive, UTC) or an ISO date-time, as ISO with an offset."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return value  # kept as sent: the row is rejected with the field and what to do
    return _iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _local_day(value: Any, zone: ZoneInfo) -> str | None:
    """A date without a time (Salesforce ActivityDate, CloseDate): the start of that day, team time,
    as a file's bare date is read."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return value
    return _iso(datetime(day.year, day.month, day.day, tzinfo=zone))


def crm_user(crm: str, user_id: Any) -> str | None:
    text = str(user_id).strip() if user_id is not None else ""
    return f"{crm} user {text}" if text else None


# -- HubSpot ---------------------------------------------------------------------------------------
def hubspot_signed_uri(uri: str) -> str:
    for encoded, plain in _HUBSPOT_DECODE.items():
        uri = uri.replace(encoded, plain).replace(encoded.lower(), plain)
    return uri


def hubspot_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """base64(HMAC-SHA256(client secret, method + URI + body + timestamp))."""
    message = method.encode() + hubspot_signed_uri(uri).encode("utf-8") + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()).decode()


def hubspot_valid(
    secret: str | None, method: str, uri: str, body: bytes, headers: Mapping[str, str], now_s: float | None = None
) -> bool:
    signature = headers.get("x-hubspot-signature-v3", "")
    stamp = headers.get("x-hubspot-request-timestamp", "")
    if not secret or not signature or not stamp.isdigit():
        return False
    now_ms = (time.time() if now_s is None else now_s) * 1000
    if abs(now_ms - int(stamp)) > HUBSPOT_WINDOW_S * 1000:
        return False  # a replay, or a clock far off
    expected = hubspot_signature(secret, method.upper(), uri, body, stamp)
    return hmac.compare_digest(expected.encode(), signature.encode())


def _hubspot_record(event: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    kind_of = str(event.get("subscriptionType", ""))
    object_type = str(event.get("objectTypeId", ""))
    object_id = event.get("objectId")
    source = str(event.get("sourceId") or "")
    rep = crm_user("HubSpot", source.removeprefix("userId:")) if source.startswith("userId:") else None
    base = {"id": None if object_id is None else str(object_id), "rep": rep, "occurred_at": _from_epoch_ms(event.get("occurredAt"))}
    if kind_of == "object.creation" and object_type in (HUBSPOT_CALL, HUBSPOT_MEETING):
        return "activity", {**base, "type": "Call" if object_type == HUBSPOT_CALL else "Meeting"}
    if kind_of == "deal.creation" or (kind_of == "object.creation" and object_type == HUBSPOT_DEAL):
        return "deal", {**base, "id": f"{object_id}:created", "type": "Opportunity created"}
    if kind_of == "deal.propertyChange" and event.get("propertyName") == "dealstage":
        return "deal", {**base, "type": str(event.get("propertyValue") or "")}
    return None


def hubspot_records(body: bytes, catalog: Catalog) -> Parsed:
    """HubSpot webhook events (a JSON array): calls and meetings created, deals created, a deal
    moved to a won stage. Other subscriptions are ignored."""
    events = _json(body)
    if not isinstance(events, list):
        raise BadPayload("HubSpot sends a JSON array of events; this body is not one")
    parsed = Parsed()
    for event in events:
        if not isinstance(event, dict):
            raise BadPayload("each HubSpot event is a JSON object with subscriptionType, objectId and occurredAt")
        found = _hubspot_record(event)
        if found is None or (found[0] == "deal" and found[1]["type"] != "Opportunity created"
                             and catalog.activity_class(found[1]["type"]) != "deal_won"):  # fmt: skip
            parsed.ignored += 1
            continue
        parsed.add(*found)
    return parsed


# -- Pipedrive -----------------------------------------------------------------------------------------
def basic_auth_valid(header: str | None, user: str | None, password: str | None) -> bool:
    if not user or not password or not header or not header.lower().startswith("basic "):
        return False
    try:
        given = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    given_user, sep, given_password = given.partition(":")
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return bool(sep) and user_ok and password_ok


def pipedrive_records(body: bytes) -> Parsed:
    """A Pipedrive webhook v2 notification: an activity marked done, a deal added or won."""
    payload = _json(body)
    meta = payload.get("meta") if isinstance(payload, dict) else None
    if not isinstance(meta, dict):
        raise BadPayload("a Pipedrive webhook v2 body is a JSON object with meta and data")
    if str(meta.get("version", "")) != "2.0":
        raise BadPayload("this is not a webhooks v2 notification (meta.version 2.0); create the webhook with version 2.0")
    data = payload.get("data")
    parsed = Parsed()
    if not isinstance(data, dict) or meta.get("action") == "delete":
        parsed.ignored = 1
        return parsed
    entity = meta.get("entity")
    owner = crm_user("Pipedrive", data.get("owner_id") or data.get("user_id"))
    if entity == "activity" and data.get("done") is True:
        when = _utc_text(data.get("marked_as_done_time")) or _utc_text(
            f"{data.get('due_date')} {data.get('due_time') or '00:00'}" if data.get("due_date") else None
        )
        parsed.add("activity", {"id": str(data.get("id")), "rep": owner, "type": data.get("type"),
                                "subject": data.get("subject"), "occurred_at": when})  # fmt: skip
    elif entity == "deal":
        if meta.get("action") == "create":
            parsed.add("deal", {"id": f"{data.get('id')}:created", "rep": owner, "type": "Opportunity created",
                                "occurred_at": _utc_text(data.get("add_time"))})  # fmt: skip
        if data.get("status") == "won":
            parsed.add("deal", {"id": str(data.get("id")), "rep": owner, "type": "Won", "amount": data.get("value"),
                                "currency": data.get("currency"), "occurred_at": _utc_text(data.get("won_time"))})  # fmt: skip
    if not parsed.by_kind:
        parsed.ignored = 1
    return parsed


# -- Salesforce -----------------------------------------------------------------------------------------
def salesforce_record(fields: Mapping[str, Any], sobject: str, zone: ZoneInfo, catalog: Catalog) -> list[tuple[str, dict[str, Any]]]:
    """A Task, Event or Opportunity (field names as Salesforce's API has them) as event records."""
    owner = fields.get("Owner")
    owner_email = fields.get("OwnerEmail") or (owner.get("Email") if isinstance(owner, dict) else None)
    owner_name = fields.get("OwnerName") or (owner.get("Name") if isinstance(owner, dict) else None)
    rep = owner_email or owner_name or crm_user("Salesforce", fields.get("OwnerId"))
    record_id = fields.get("Id")
    if sobject in ("Task", "Event"):
        when = (
            _utc_text(fields.get("CompletedDateTime"))
            or _utc_text(fields.get("ActivityDateTime"))
            or _local_day(fields.get("ActivityDate"), zone)
        )
        kind = fields.get("Type") or fields.get("TaskSubtype") or fields.get("EventSubtype") or sobject
        return [("activity", {"id": record_id, "rep": rep, "type": kind, "subject": fields.get("Subject"),
                              "outcome": fields.get("CallDisposition"), "occurred_at": when})]  # fmt: skip
    if sobject == "Opportunity":
        out: list[tuple[str, dict[str, Any]]] = []
        created = _utc_text(fields.get("CreatedDate"))
        if created:
            out.append(("deal", {"id": f"{record_id}:created", "rep": rep, "type": "Opportunity created", "occurred_at": created}))
        stage = str(fields.get("StageName") or "")
        if str(fields.get("IsWon", "")).lower() == "true" or catalog.activity_class(stage) == "deal_won":
            amount = fields.get("Amount")
            out.append(("deal", {"id": record_id, "rep": rep, "type": stage or "Closed Won", "occurred_at":
                                 _local_day(fields.get("CloseDate"), zone), "amount": _number(amount)}))  # fmt: skip
        return out
    return []


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _xml_value(node: Element) -> str | None:
    if node.get(XSI_NIL) == "true":
        return None
    return (node.text or "").strip() or None


def outbound_message(body: bytes) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """(OrganizationId, [(sObject type, fields)]) from a Salesforce Outbound Message (SOAP)."""
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise BadPayload(f"the body is not a well-formed SOAP message ({exc})") from None
    notifications = root.find(f".//{{{OUTBOUND_NS}}}notifications")
    if notifications is None:
        raise BadPayload("no <notifications> element of an Outbound Message in the SOAP body")
    org = notifications.findtext(f"{{{OUTBOUND_NS}}}OrganizationId", "").strip()
    objects = []
    for sobject in notifications.iter(f"{{{OUTBOUND_NS}}}sObject"):
        kind = (sobject.get(XSI_TYPE) or "").split(":")[-1]
        fields = {child.tag.split("}")[-1]: _xml_value(child) for child in sobject}
        objects.append((kind, fields))
    return org, objects


def same_org(given: str, configured: str | None) -> bool:
    """Org ids compare on their case-sensitive 15-character form (the 18-character one adds a checksum)."""
    if not configured or len(given) < 15:
        return False
    return hmac.compare_digest(given[:15].encode(), configured.strip()[:15].encode())


def flow_records(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """A Flow HTTP callout: one record, a list, or {"records": [...]}, each with Salesforce field names;
    `attributes.type` (as Salesforce serialises records) or `type` names the object (default Task)."""
    payload = _json(body)
    if isinstance(payload, dict) and isinstance(payload.get("records"), list):
        payload = payload["records"]
    items = payload if isinstance(payload, list) else [payload]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise BadPayload("each record is a JSON object with Salesforce field names (Id, OwnerId, Subject…)")
        attributes = item.get("attributes")
        kind = attributes.get("type") if isinstance(attributes, dict) else item.get("sobjectType")
        out.append((str(kind or "Task"), item))
    return out


# -- generic (Zapier, Make) -----------------------------------------------------------------------------
_API_NAMES = {"id": "id", "record_id": "id", "rep": "rep", "email": "email", "type": "type", "occurred_at": "occurred_at",
              "outcome": "outcome", "subject": "subject", "amount": "amount", "currency": "currency", "source": "source"}  # fmt: skip


def _generic_aliases() -> dict[str, str]:
    layout = next(layout for layout in load_layouts() if layout.name == "generic")
    aliases = {label: field_name for field_name, labels in layout.aliases.items() for label in labels}
    aliases = {k: ("id" if v == "record_id" else v) for k, v in aliases.items()}
    return {**aliases, **_API_NAMES}


def generic_records(body: bytes) -> list[dict[str, Any]]:
    """Zapier or Make: one object, a list, or {"events"|"data"|"records": [...]}, with the API's field
    names or the column names a generic export uses (Rep, Date, Activity type…)."""
    payload = _json(body)
    if isinstance(payload, dict):
        for key in ("events", "data", "records"):
            if isinstance(payload.get(key), list):
                payload = payload[key]
                break
    items = payload if isinstance(payload, list) else [payload]
    aliases = _generic_aliases()
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            out.append(item)  # rejected with its row number
            continue
        record: dict[str, Any] = {}
        for key, value in item.items():
            name = aliases.get(normal(str(key)).replace(" ", "_")) or aliases.get(normal(str(key)))
            if name is not None and name not in record:
                record[name] = value
        if record.get("email") and not record.get("rep"):
            record["rep"] = record["email"]
        record.pop("email", None)
        out.append(record)
    return out


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayload(f"the body is not valid JSON ({exc})") from None


def kinds(pairs: Iterable[tuple[str, dict[str, Any]]]) -> Parsed:
    parsed = Parsed()
    for kind, record in pairs:
        parsed.add(kind, record)
    return parsed
